/**
 * The import arrows of ARCHITECTURE.md, checked on every .ts file under cmd, core, frontend
 * and store: cmd -> core -> {frontend, store} (each layer may use the ones below it),
 * store -> core/oci and core/fs only, core/fs -> core/oci only, core/oci -> nothing of ours,
 * frontend -> nothing outside frontend (no Node modules or packages either: text in, data out).
 */
import { dirname, join, normalize, relative } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT, type SourceFile, sourceFiles, TOP } from './source-files.js';

/** Every module specifier in `import ... from`, `export ... from`, bare `import '...'` and `import('...')`. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const re =
    /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function layerOf(path: string): string {
  if (path.startsWith('core/oci/')) return 'core/oci';
  if (path.startsWith('core/fs/')) return 'core/fs';
  return path.split('/')[0];
}

/** Which layers each layer may import (relative imports); `external` = node: and packages. */
const ALLOWED: Record<string, { layers: string[]; external: boolean }> = {
  cmd: { layers: ['cmd', 'core', 'core/oci', 'core/fs', 'frontend', 'store'], external: true },
  core: { layers: ['core', 'core/oci', 'core/fs', 'frontend', 'store'], external: true },
  store: { layers: ['store', 'core/oci', 'core/fs'], external: true },
  'core/oci': { layers: ['core/oci'], external: true },
  // The filesystem layer sits just above the vocabulary: every other folder may use it.
  'core/fs': { layers: ['core/fs', 'core/oci'], external: true },
  frontend: { layers: ['frontend'], external: false },
};

/** Wrong arrows as `from -> spec (why)` lines; empty when the files follow the rules. */
function checkImports(files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const f of files) {
    const from = layerOf(f.path);
    const rule = ALLOWED[from];
    if (!rule) continue;
    for (const spec of specifiers(f.text)) {
      if (spec.startsWith('.')) {
        const target = normalize(join(dirname(f.path), spec))
          .split('\\')
          .join('/');
        const to = layerOf(target);
        if (target.startsWith('..') || !rule.layers.includes(to)) {
          problems.push(
            `${f.path} -> ${spec} (${from} may not import ${TOP.includes(to.split('/')[0]) ? to : target})`,
          );
        }
      } else if (!rule.external) {
        problems.push(`${f.path} -> ${spec} (${from} imports no modules outside itself)`);
      }
    }
  }
  return problems;
}

/**
 * Ranks inside core (ARCHITECTURE.md "Imports"): a folder imports only folders of a lower
 * rank. Refined where the code is: export sits below registry (push reads what export
 * builds), inspect below views (which render its templates).
 */
const CORE_RANKS: Record<string, number> = {
  oci: 0,
  progress: 0,
  fs: 1,
  cache: 2,
  diff: 2,
  image: 2,
  context: 3,
  runtime: 3,
  export: 3,
  registry: 4,
  copy: 5,
  plan: 6,
  exec: 7,
  inspect: 7,
  views: 8,
  fsck: 8,
  gc: 8,
  // Looks inside images from every source: reads build reports (exec), renders with the
  // page shell of views, so it sits above both.
  explore: 9,
};

/** Imports between core folders that go up or sideways in rank, as `from -> spec` lines. */
function checkCoreRanks(files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const f of files) {
    const [top, folder] = f.path.split('/');
    if (top !== 'core' || f.path.split('/').length < 3) continue;
    const rank = CORE_RANKS[folder];
    if (rank === undefined) {
      problems.push(`${f.path}: core/${folder} has no rank`);
      continue;
    }
    for (const spec of specifiers(f.text)) {
      if (!spec.startsWith('.')) continue;
      const target = normalize(join(dirname(f.path), spec))
        .split('\\')
        .join('/');
      const [tTop, tFolder] = target.split('/');
      if (tTop !== 'core' || tFolder === folder || target.split('/').length < 3) continue;
      const tRank = CORE_RANKS[tFolder];
      if (tRank === undefined || tRank >= rank)
        problems.push(
          `${f.path} -> ${spec} (core/${folder}, rank ${rank}, may not import core/${tFolder}, rank ${tRank})`,
        );
    }
  }
  return problems;
}

test('inside core, every folder imports only lower ranks (no cycles between folders)', () => {
  expect(checkCoreRanks(sourceFiles())).toEqual([]);
  // The checker sees a wrong arrow when one is planted.
  const planted = [
    { path: 'core/registry/x.ts', text: "import type { Plan } from '../plan/types.js';" },
    { path: 'core/cache/y.ts', text: "import { isUrl } from '../plan/step-ops.js';" },
    { path: 'core/copy/z.ts', text: "const m = await import('../exec/build.js');" },
  ];
  expect(checkCoreRanks(planted).map((p) => p.split(' -> ')[0])).toEqual(planted.map((f) => f.path));
});

test('every import in cmd, core, frontend and store points the allowed way', () => {
  const files = sourceFiles();
  // Guard against a walk that finds nothing (wrong root) and so passes vacuously.
  expect(files.filter((f) => f.path.startsWith('frontend/')).length).toBeGreaterThan(10);
  expect(files.some((f) => relative(ROOT, join(ROOT, f.path)) === 'frontend/graph/types.ts')).toBe(true);
  expect(checkImports(files)).toEqual([]);
});

test('the checker sees import forms it must catch', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b.js';",
    "export { c } from './c.js';",
    "export * from './d.js';",
    "import './side-effect.js';",
    "const m = await import('./lazy.js');",
    'import {\n  x,\n  y,\n} from "./multi.js";',
  ].join('\n');
  expect(specifiers(text)).toEqual([
    './a.js',
    '../b.js',
    './c.js',
    './d.js',
    './side-effect.js',
    './lazy.js',
    './multi.js',
  ]);
});

test('the checker catches planted wrong arrows', () => {
  const planted: SourceFile[] = [
    { path: 'frontend/graph/x.ts', text: "import { Store } from '../../store/store.js';" },
    { path: 'frontend/parser/y.ts', text: "import { readFile } from 'node:fs/promises';" },
    { path: 'store/z.ts', text: "import { build } from '../core/build/build.js';" },
    { path: 'core/oci/w.ts', text: "export { x } from '../build/x.js';" },
    { path: 'core/v.ts', text: "const m = await import('../cmd/main.js');" },
    { path: 'frontend/u.ts', text: "import '../outside.js';" },
  ];
  const ok: SourceFile[] = [
    {
      path: 'cmd/a.ts',
      text: "import { parse } from '../frontend/index.js';\nimport { s } from '../store/store.js';",
    },
    {
      path: 'core/b.ts',
      text: "import { toGraph } from '../frontend/index.js';\nimport { D } from './oci/digest.js';",
    },
    {
      path: 'store/c.ts',
      text: "import { sha256 } from '../core/oci/digest.js';\nimport { join } from 'node:path';",
    },
    { path: 'frontend/graph/d.ts', text: "import type { Node } from '../parser/ast.js';" },
  ];
  const problems = checkImports([...planted, ...ok]);
  expect(problems.map((p) => p.split(' -> ')[0])).toEqual(planted.map((f) => f.path));
});
