/**
 * The demo's story as a test: the seed's three Dockerfiles, on a busybox copy of the Node app
 * (test/samples/seed-busybox: a shell loop over package-lock.json stands in for npm), built
 * cold, rebuilt unchanged, rebuilt after a comment is added to index.js, and rebuilt after a
 * dependency is added. Each rebuild must hit and miss exactly the steps the seed says, and
 * the cache mount must keep earlier "downloads" across the dependency change.
 *
 * Each Dockerfile builds in its own store, as in `npm run demo`, so no Dockerfile's cache
 * helps another.
 */
import { appendFile, cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../cmd/io.js';
import { main } from '../../cmd/main.js';
import { Store } from '../../store/index.js';
import { type PlainStep, parsePlainSteps } from '../samples/plain-steps.js';
import { makeBusyboxRootfs, makeStoreImage, requireRoot, requireTool, useTempDirs } from './helpers/index.js';

const FIXTURE = fileURLToPath(new URL('../samples/seed-busybox/', import.meta.url));
const DOCKERFILES = ['bad', 'good', 'buildkit'] as const;
type Df = (typeof DOCKERFILES)[number];
const tempDir = useTempDirs();

async function strata(args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        f(String(chunk));
        cb();
      },
    });
  const io: Io = {
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    env: { ...process.env, STRATA_ROOT: '' },
    cwd: process.cwd(),
  };
  const code = await main(args, io);
  if (code !== 0) throw new Error(`strata ${args.join(' ')} exited ${code}:\n${out}\n${err}`);
  return `${out}${err}`;
}

/** 'hit' or 'run' per step, FROM left out (resolving a local base is not a cached step). */
type Pattern = [instruction: string, outcome: 'hit' | 'run'][];

function pattern(steps: PlainStep[]): Pattern {
  return steps
    .filter((s) => !s.instruction.startsWith('FROM'))
    .map((s) => [s.instruction.slice(0, s.instruction.startsWith('RUN') ? 3 : 40), s.hit ? 'hit' : 'run']);
}

const RUN = 'RUN';
const MANIFESTS = 'COPY package.json package-lock.json ./';

describe('the seed experiment on a busybox copy of the Node app', () => {
  let app: string;
  const roots = {} as Record<Df, string>;
  const results: Record<string, Record<Df, PlainStep[]>> = {};

  async function buildAll(scenario: string): Promise<void> {
    results[scenario] = {} as Record<Df, PlainStep[]>;
    for (const df of DOCKERFILES) {
      const out = await strata([
        'build',
        '--root',
        roots[df],
        '--progress',
        'plain',
        '-f',
        join(app, `Dockerfile.${df}`),
        '-t',
        `seed/${df}:latest`,
        app,
      ]);
      results[scenario][df] = parsePlainSteps(out);
    }
  }

  async function diffIds(df: Df): Promise<string[]> {
    const json = JSON.parse(await strata(['inspect', '--root', roots[df], `seed/${df}:latest`]));
    const view = Array.isArray(json) ? json[0] : json;
    return view.RootFS.Layers as string[];
  }

  const layersBefore = {} as Record<string, Record<Df, string[]>>;

  beforeAll(async () => {
    requireRoot();
    requireTool('runc');
    app = join(await tempDir(), 'app');
    await cp(FIXTURE, app, { recursive: true });
    for (const df of DOCKERFILES) {
      roots[df] = await tempDir();
      await makeStoreImage(await Store.open(roots[df]), [makeBusyboxRootfs], { tag: 'busybox:latest' });
    }
    await buildAll('cold');
    layersBefore.cold = {} as Record<Df, string[]>;
    for (const df of DOCKERFILES) layersBefore.cold[df] = await diffIds(df);
    await buildAll('noop');
    await appendFile(join(app, 'index.js'), '// a comment added by the test\n');
    await buildAll('comment');
    layersBefore.comment = {} as Record<Df, string[]>;
    for (const df of DOCKERFILES) layersBefore.comment[df] = await diffIds(df);
    await writeFile(join(app, 'package-lock.json'), 'alpha\nbeta\ngamma\ndelta\n');
    await writeFile(
      join(app, 'package.json'),
      '{ "name": "seed-busybox", "version": "1.0.0", "dependencies": { "alpha": "1.0.0", "beta": "1.0.0", "gamma": "1.0.0", "delta": "1.0.0" } }\n',
    );
    await buildAll('dependency');
  }, 600_000);

  it('cold: every step runs', () => {
    expect(pattern(results.cold.bad)).toEqual([
      ['WORKDIR /app', 'run'],
      ['COPY . .', 'run'],
      [RUN, 'run'],
    ]);
    for (const df of ['good', 'buildkit'] as const) {
      expect(pattern(results.cold[df])).toEqual([
        ['WORKDIR /app', 'run'],
        [MANIFESTS, 'run'],
        [RUN, 'run'],
        ['COPY . .', 'run'],
      ]);
    }
    const run = results.cold.buildkit.find((s) => s.instruction.startsWith('RUN'));
    expect(run?.logs).toEqual(['downloaded alpha', 'downloaded beta', 'downloaded gamma']);
  });

  it('no change: every step is CACHED', () => {
    for (const df of DOCKERFILES) {
      expect(pattern(results.noop[df]).every(([, o]) => o === 'hit')).toBe(true);
      expect(pattern(results.noop[df])).toHaveLength(df === 'bad' ? 3 : 4);
    }
  });

  it('a comment in index.js: bad reinstalls, good and buildkit rerun only the last COPY', async () => {
    expect(pattern(results.comment.bad)).toEqual([
      ['WORKDIR /app', 'hit'],
      ['COPY . .', 'run'],
      [RUN, 'run'],
    ]);
    for (const df of ['good', 'buildkit'] as const) {
      expect(pattern(results.comment[df])).toEqual([
        ['WORKDIR /app', 'hit'],
        [MANIFESTS, 'hit'],
        [RUN, 'hit'],
        ['COPY . .', 'run'],
      ]);
      // The layers before the last COPY are the very same layers; only the last one changed.
      const [before, after] = [layersBefore.cold[df], layersBefore.comment[df]];
      expect(after.slice(0, -1)).toEqual(before.slice(0, -1));
      expect(after.at(-1)).not.toEqual(before.at(-1));
    }
  });

  it('a dependency added: the install runs everywhere; the cache mount keeps earlier downloads', () => {
    expect(pattern(results.dependency.bad)).toEqual([
      ['WORKDIR /app', 'hit'],
      ['COPY . .', 'run'],
      [RUN, 'run'],
    ]);
    for (const df of ['good', 'buildkit'] as const) {
      expect(pattern(results.dependency[df])).toEqual([
        ['WORKDIR /app', 'hit'],
        [MANIFESTS, 'run'],
        [RUN, 'run'],
        ['COPY . .', 'run'],
      ]);
    }
    const run = results.dependency.buildkit.find((s) => s.instruction.startsWith('RUN'));
    expect(run?.logs).toEqual(['reused alpha', 'reused beta', 'reused gamma', 'downloaded delta']);
    const bad = results.dependency.bad.find((s) => s.instruction.startsWith('RUN'));
    expect(bad?.logs).toEqual(['added 4 packages']);
  });
});
