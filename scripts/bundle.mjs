// Bundles the CLI after `tsc`: dist/cmd/main.js becomes one ESM entry with one chunk per
// lazily imported piece (each subcommand, the runners of a build, ...). Node then loads a
// handful of files instead of ~150 modules, which is most of strata's start-up cost.
// npm packages stay external (the xattr binding is a native addon). The source keeps its
// shebang, and esbuild keeps it on the entry.
import { chmodSync, copyFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/chunks', { recursive: true, force: true });
await build({
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
});

// The `strata` command is a small sh launcher beside the bundle (why: cmd/strata.sh).
copyFileSync('cmd/strata.sh', 'dist/cmd/strata');
chmodSync('dist/cmd/strata', 0o755);
chmodSync('dist/cmd/main.js', 0o755);
