// Bundles the CLI after `tsc`, in two forms:
//
// 1. dist/cmd/main.js: one ESM entry with one chunk per lazily imported piece (each
//    subcommand, the runners of a build, ...). Node then loads a handful of files instead of
//    ~300 modules. `node dist/cmd/main.js` always works.
// 2. dist/snapshot/strata.blob: a V8 startup snapshot of the CLI (cmd/snapshot-main.ts says
//    what it holds and why), made with this very Node. The `strata` launcher starts from it
//    when the Node it finds is the one that made it (the mtime stamp beside the blob), else
//    runs main.js. Making it may fail on a Node without `--build-snapshot`; then the build
//    says so and the launcher uses main.js.
//
// npm packages stay external (the xattr binding is a native addon). The source keeps its
// shebang, and esbuild keeps it on the entry.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

rmSync('dist/chunks', { recursive: true, force: true });
const esm = await build({
  entryPoints: { 'cmd/main': 'cmd/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  legalComments: 'none',
  metafile: true,
});

// The `strata` command is a small sh launcher beside the bundle (why: cmd/strata.sh).
copyFileSync('cmd/strata.sh', 'dist/cmd/strata');
chmodSync('dist/cmd/strata', 0o755);
chmodSync('dist/cmd/main.js', 0o755);

// Node 20 cannot put these built-in modules into a user snapshot (node:http throws while
// the snapshot is made; the others are not vouched for), and the npm packages are loaded
// from disk at run time. A module that imports any of them, directly or through another
// module, is left out of the snapshot: it is still in the bundle and loads on first use.
const UNSAFE_BUILTIN =
  /^(node:)?(http|https|http2|tls|net|dgram|dns|child_process|worker_threads|cluster|readline|repl|inspector|perf_hooks)$/;
const unsafeExternal = (id) => !isBuiltin(id) || UNSAFE_BUILTIN.test(id);
const inputs = esm.metafile.inputs;
const unsafe = new Map();
function isUnsafe(file, path = new Set()) {
  if (unsafe.has(file)) return unsafe.get(file);
  if (path.has(file)) return false;
  path.add(file);
  let bad = false;
  for (const imp of inputs[file]?.imports ?? []) {
    if (imp.kind !== 'import-statement') continue;
    if (imp.external ? unsafeExternal(imp.path) : isUnsafe(imp.path, path)) {
      bad = true;
      break;
    }
  }
  path.delete(file);
  unsafe.set(file, bad);
  return bad;
}
const modules = Object.keys(inputs).filter((f) => /^(cmd|core|store|frontend)\//.test(f) && !isUnsafe(f));

// A script started from a snapshot has no dynamic import(): `await import('node:child_process')`
// would reject. Each dynamic import of a built-in or npm module becomes a small CommonJS
// module that requires it (esbuild still loads it only when the import() runs).
const requireDynamicImports = {
  name: 'require-dynamic-imports',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, namespace: 'required' } : undefined,
    );
    b.onResolve({ filter: /.*/, namespace: 'required' }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const SNAP = 'dist/snapshot';
// The V8 flags the launcher starts Node with: V8 loads a snapshot only under the flags it was
// made with, so they are read from the launcher itself, not written down twice.
const v8Flags = /^strata_v8_flags='([^']*)'$/m.exec(readFileSync('cmd/strata.sh', 'utf8'))?.[1];
if (v8Flags === undefined) throw new Error("bundle: cmd/strata.sh has no strata_v8_flags='...' line");
rmSync(SNAP, { recursive: true, force: true });
mkdirSync(SNAP, { recursive: true });
await build({
  stdin: {
    // Static imports of every safe module: evaluated while the snapshot is made.
    contents: [
      ...modules.map((f) => `import './${f.replace(/\.ts$/, '.js')}';`),
      "import './cmd/snapshot-main.js';",
    ].join('\n'),
    resolveDir: '.',
    sourcefile: 'snapshot-entry.js',
    loader: 'js',
  },
  outfile: `${SNAP}/strata.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  legalComments: 'none',
  define: { 'import.meta.url': 'globalThis.__strataEntryUrl' },
  plugins: [requireDynamicImports],
  // A snapshot's own `require` knows only built-in modules; npm packages are required
  // relative to the installed CLI, whose place is known only at start-up.
  banner: {
    js: [
      'var __strataBuiltin = require;',
      'require = function strataRequire(id) {',
      "  const m = __strataBuiltin('node:module');",
      '  return m.isBuiltin(id) ? __strataBuiltin(id) : m.createRequire(globalThis.__strataEntryUrl)(id);',
      '};',
    ].join('\n'),
  },
});
// Training (cmd/snapshot-main.ts): a context and a store holding its cold build, made here
// with main.js because that build writes through the xattr addon.
const training = mkdtempSync(join(tmpdir(), 'strata-snapshot-'));
const made = (() => {
  try {
    const ctx = join(training, 'ctx');
    mkdirSync(join(ctx, 'src'), { recursive: true });
    writeFileSync(
      join(ctx, 'Dockerfile'),
      // No COPY --from or RUN: reading layers and running steps load the xattr addon and runc.
      'FROM scratch AS base\nARG V=1\nENV A=b PATH=/bin\nWORKDIR /app\nCOPY package.json ./\n' +
        'COPY --chmod=644 src/ ./src/\nLABEL v=$V\nFROM base\nEXPOSE 80\nCMD ["/app/x"]\n',
    );
    writeFileSync(join(ctx, '.dockerignore'), '*.log\n');
    writeFileSync(join(ctx, 'package.json'), '{}\n');
    for (const f of ['a.js', 'b.js', 'c.log']) writeFileSync(join(ctx, 'src', f), `// ${f}\n`);
    const args = ['build', '--root', join(training, 'store'), '--progress', 'plain', '-t', 'train', ctx];
    const env = { PATH: process.env.PATH };
    const cold = spawnSync(process.execPath, ['dist/cmd/main.js', ...args], { env, encoding: 'utf8' });
    if (cold.status !== 0) process.stderr.write(`bundle: snapshot training build failed:\n${cold.stderr}`);
    return spawnSync(
      process.execPath,
      [
        ...v8Flags.split(' ').filter(Boolean),
        '--snapshot-blob',
        `${SNAP}/strata.blob`,
        '--build-snapshot',
        `${SNAP}/strata.cjs`,
      ],
      {
        stdio: ['ignore', 'inherit', 'pipe'],
        encoding: 'utf8',
        env: cold.status === 0 ? { ...env, STRATA_SNAPSHOT_TRAINING: training } : env,
      },
    );
  } finally {
    rmSync(training, { recursive: true, force: true });
  }
})();
// Node 20 warns for node:module ("not yet fully verified"): strata uses only createRequire,
// on use. Any other warning is shown.
const warnings = made.stderr
  .split('\n')
  .filter(
    (l) => l.trim() !== '' && !/node:module"|It may still work|To request support|--trace-warnings/.test(l),
  );
if (warnings.length > 0) process.stderr.write(`${warnings.join('\n')}\n`);
if (made.status !== 0) {
  process.stderr.write(
    `bundle: no startup snapshot (node --build-snapshot exited ${made.status}); strata runs main.js\n`,
  );
  rmSync(SNAP, { recursive: true, force: true });
} else {
  // The launcher starts from the blob only when node's mtime equals this stamp's (to the
  // nanosecond: touch -r copies it exactly, utimes from JavaScript would round it).
  writeFileSync(`${SNAP}/node.stamp`, `${process.execPath} ${process.version}\n`);
  spawnSync('touch', ['-r', process.execPath, `${SNAP}/node.stamp`], { stdio: 'inherit' });
}
