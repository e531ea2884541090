/**
 * Bounded fuzzing with fixed seeds (fast-check), cheap enough for every CI run:
 *   1. applyLayer (the one extractor every layer, archive and ADD goes through) on 500
 *      mutations of valid layer tars, plain and gzip: byte flips, truncations, splices.
 *      Each either applies or fails with a StrataError that is not internal; nothing is
 *      written outside the target dir.
 *   2. the whole `strata build --dry-run` path (parse, expand, graph, plan against a real
 *      store and context) on 300 mutations of real Dockerfiles: every run exits with a
 *      clean error or a plan, never "internal error". The seeds come from the conformance
      corpus (test/helpers/conformance.ts): without it this part is skipped, outside CI.
 * The parser alone is fuzzed in test/frontend/parser/mutation.property.test.ts (3000 runs).
 * Needs root (a mutated tar may create devices and owners); fails, never skips, without it.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyLayer } from '../../core/diff/apply-layer.js';
import { StrataError } from '../../core/oci/errors.js';
import { requireRoot, useTempDirs } from '../e2e/helpers/index.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { strata } from '../helpers/cli.js';
import { conformancePath, describeConformance, listConformance } from '../helpers/conformance.js';
import { rawTar } from './helpers/docker-archive.js';
import { useFigures } from './helpers/figures.js';
import { fsckStore, problemLines } from './helpers/store-checks.js';

const tmp = useTempDirs();
const figures = useFigures(import.meta.filename);
const SEED = 20240131;

beforeAll(() => {
  requireRoot();
});

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'splice'; from: number; to: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    byte: fc.constantFrom(0, 0x2f, 0x2e, 0x30, 0x37, 0x35, 0xff),
  }),
  fc.record({
    kind: fc.constant('splice' as const),
    from: fc.nat(),
    to: fc.nat(),
    len: fc.integer({ min: 1, max: 1024 }),
  }),
);

function mutate(src: Buffer, m: Mutation): Buffer {
  const b = Buffer.from(src);
  if (b.length === 0) return b;
  const at = m.kind === 'splice' ? 0 : m.at % b.length;
  switch (m.kind) {
    case 'flip':
      b[at] ^= m.mask;
      return b;
    case 'set':
      b[at] = m.byte;
      return b;
    case 'truncate':
      return b.subarray(0, at);
    case 'splice': {
      // Copy a run of bytes over another place: headers land where data was and vice versa.
      const from = m.from % b.length;
      b.copy(b, m.to % b.length, from, Math.min(b.length, from + m.len));
      return b;
    }
  }
}

describe('applyLayer under random mutation', () => {
  it('500 mutated tars: each applies or fails with a clean StrataError, inside its root', async () => {
    const seeds = await layerSeeds();
    const parent = await tmp('strata-fuzz-apply-');
    await writeFile(join(parent, 'sentinel'), 'untouched');
    const outcomes = { applied: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...seeds.keys()),
        fc.boolean(),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (i, gzip, ms) => {
          const plain = ms.reduce(mutate, seeds[i]);
          const input = gzip ? mutateGzip(seeds[i], ms) : plain;
          const root = join(parent, 'root');
          await mkdir(root);
          try {
            await applyLayer(root, Readable.from([input]), { maxBytes: 8 << 20, maxEntries: 1000 });
            outcomes.applied++;
          } catch (err) {
            if (!(err instanceof StrataError) || err.code === 'E_INTERNAL') throw err;
            outcomes.refused++;
          } finally {
            await rm(root, { recursive: true, force: true });
          }
          expect((await readdir(parent)).sort()).toEqual(['sentinel']);
        },
      ),
      { numRuns: 500, seed: SEED },
    );
    figures.badInputsTried += 500;
    console.log(
      `[reliability] fuzz applyLayer: ${outcomes.applied} applied, ${outcomes.refused} refused cleanly`,
    );
    expect(outcomes.applied + outcomes.refused).toBe(500);
  }, 120_000);
});

/** Valid layer tars covering every entry kind the extractor handles. */
async function layerSeeds(): Promise<Buffer[]> {
  return [
    await rawTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', data: 'root:x:0:0::/root:/bin/sh\n' },
      { name: 'bin/sh', data: Buffer.alloc(700, 0x7f), mode: 0o4755 },
      { name: 'bin/ash', type: 'link', linkname: 'bin/sh' },
      { name: 'usr/bin/env', type: 'symlink', linkname: '/bin/sh' },
    ]),
    await rawTar([
      { name: 'a/', type: 'directory' },
      { name: 'a/.wh..wh..opq' },
      { name: 'a/keep', data: 'k' },
      { name: '.wh.gone' },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 },
      { name: 'run/fifo', type: 'fifo' },
    ]),
    await rawTar(
      Array.from({ length: 12 }, (_, n) => ({ name: `d${n % 3}/f${n}`, data: 'x'.repeat(n * 100) })),
    ),
  ];
}

/** Mutates the gzip stream itself half the time, the tar inside it otherwise. */
function mutateGzip(seed: Buffer, ms: Mutation[]): Buffer {
  if (ms.length % 2 === 0) return ms.reduce(mutate, gzipSync(seed));
  return gzipSync(ms.reduce(mutate, seed));
}

// ---- the Dockerfile path: parse, expand, graph and plan, against a real store ----

/** Real Dockerfiles (the BuildKit parser corpus), with every base image made `busybox`. */
function dockerfileSeeds(): string[] {
  const files = listConformance('dockerfile-parser', 'testfiles').map((c) =>
    readFileSync(conformancePath('dockerfile-parser', 'testfiles', c, 'Dockerfile'), 'utf8'),
  );
  const own = [
    'FROM busybox AS base\nARG V=1\nENV A=$V\nWORKDIR /app\nCOPY a.txt ./\nCOPY dir/ /dir/\nRUN echo $A\n' +
      'FROM base\nCOPY --from=base /app/a.txt /b.txt\nADD --chmod=600 a.txt /c\nUSER 1000:1000\nCMD ["sh"]\n',
    'FROM busybox\nRUN --mount=type=cache,target=/c,sharing=locked <<EOF\necho ${X:-y}\nEOF\nHEALTHCHECK CMD true\nONBUILD RUN x\n',
  ];
  return [...files, ...own].map(pinBases);
}

/** FROM <anything> -> FROM busybox, --from=<not a stage> -> --from=0: never a registry pull. */
function pinBases(src: string): string {
  return src
    .replace(/^(\s*from\s+)(?:--\S+\s+)*\S+/gim, '$1busybox')
    .replace(/--from=(\S+)/gi, (m, v: string) => (/^\d+$/.test(v) ? m : '--from=0'));
}

const fragments = [
  '\\\n',
  '"',
  "'",
  '<<EOF\n',
  '\nEOF\n',
  '${',
  '${x:-',
  '}',
  '$',
  '--mount=type=cache,target=/x',
  '--chown=1:1',
  '--from=0',
  '["a", "b"]',
  '[',
  '\n',
  ' ',
  '#',
  '# escape=`\n',
  'AS x',
  'COPY ',
  'RUN ',
  'ARG ',
  'ENV ',
  'ONBUILD ',
  '..',
  '/',
  '*',
  '?',
  '\0',
  '😀',
];

type Edit = { kind: 'insert' | 'delete' | 'replace'; at: number; len: number; text: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('insert' as const, 'delete' as const, 'replace' as const),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 8 }),
  text: fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 5 })),
});

function applyEdit(src: string, e: Edit): string {
  const at = e.at % (src.length + 1);
  if (e.kind === 'insert') return src.slice(0, at) + e.text + src.slice(at);
  if (e.kind === 'delete') return src.slice(0, at) + src.slice(at + e.len);
  return src.slice(0, at) + e.text + src.slice(at + e.len);
}

describeConformance('strata build --dry-run under random mutation', () => {
  let root: string;
  let ctx: string;
  beforeAll(async () => {
    root = await tmp('strata-fuzz-df-');
    ctx = await tmp('strata-fuzz-ctx-');
    await importBusybox(root);
    await writeFile(join(ctx, 'a.txt'), 'a\n');
    await mkdir(join(ctx, 'dir'));
    await writeFile(join(ctx, 'dir', 'b.txt'), 'b\n');
  }, 60_000);

  it('300 mutated Dockerfiles: a plan or a clean error, never an internal one', async () => {
    const seeds = dockerfileSeeds();
    const codes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...seeds.keys()),
        fc.array(edit, { minLength: 1, maxLength: 6 }),
        async (i, edits) => {
          const text = pinBases(edits.reduce(applyEdit, seeds[i]));
          await writeFile(join(ctx, 'Dockerfile'), text);
          const r = await strata(['build', '--root', root, '--dry-run', ctx], {
            env: { DOCKER_CONFIG: ctx, HOME: ctx },
          });
          codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
          expect(r.code, `${r.stderr}\n--- Dockerfile ---\n${text}`).not.toBe(70);
          expect(r.stderr).not.toMatch(/internal error/);
          // pinBases keeps every base local: the fuzz must not depend on (or reach) a registry.
          expect(r.stderr, text).not.toMatch(/the registry did not give it/);
        },
      ),
      { numRuns: 300, seed: SEED },
    );
    figures.badInputsTried += 300;
    const summary = [...codes].sort((a, b) => a[0] - b[0]).map(([c, n]) => `exit ${c}: ${n}`);
    console.log(`[reliability] fuzz build --dry-run: ${summary.join(', ')}`);
    // A dry run plans and never writes: the store must still be consistent.
    const report = await fsckStore(root);
    figures.fsckRan(report.problems.length === 0);
    expect(problemLines(report)).toEqual([]);
  }, 240_000);
});
