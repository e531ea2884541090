/**
 * Concurrency on one store: 4 builds at once sharing steps and a cache mount, once per
 * sharing mode; a cache-mount lock whose holder is SIGKILLed is taken over; `strata prune`
 * and `strata fsck` run while builds run. Every build must succeed with the right files,
 * fsck must be clean after each round (so no torn blob or half-written record), and nothing
 * of the builds may be left behind. Needs root (RUN through runc); fails, never skips.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../store/store.js';
import { requireRoot, useTempDirs } from '../e2e/helpers/index.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { type Finished, requireBuiltCli, runCliOk, startCli } from './helpers/cli-process.js';
import { useFigures } from './helpers/figures.js';
import {
  fsckStore,
  leftovers,
  mountsUnder,
  problemLines,
  runcContainersUnder,
} from './helpers/store-checks.js';

const tmp = useTempDirs();
const figures = useFigures(import.meta.filename);
const N = 4;

/** Shared prefix (same keys in every build), then a per-build file and a traced cache mount. */
function dockerfile(sharing: string, hold = 0.3): string {
  return `FROM busybox
COPY common.txt /common.txt
RUN sleep 0.2 && cat /common.txt > /common2.txt
COPY own.txt /own.txt
RUN --mount=type=cache,target=/cache,sharing=${sharing} sh -c 'o=$(cat /own.txt); echo "start $o" >> /cache/trace; sleep ${hold}; echo "end $o" >> /cache/trace; ls /cache > /seen'
`;
}

let root: string;

async function context(round: string, own: string, sharing: string, hold?: number): Promise<string> {
  const dir = await tmp('strata-conc-ctx-');
  await writeFile(join(dir, 'Dockerfile'), dockerfile(sharing, hold));
  await writeFile(join(dir, 'common.txt'), `common ${round}\n`);
  await writeFile(join(dir, 'own.txt'), `${own}\n`);
  return dir;
}

/** The cache mount's trace file (the mount id is its target, /cache). */
async function trace(): Promise<string[]> {
  const store = await Store.open(root);
  const text = await readFile(join(store.cacheMountPath('/cache'), 'trace'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

/** True when no two runs overlapped: every `start x` is followed directly by `end x`. */
function serial(lines: string[]): boolean {
  for (let i = 0; i < lines.length; i += 2) {
    const o = lines[i].replace(/^start /, '');
    if (!lines[i].startsWith('start ') || lines[i + 1] !== `end ${o}`) return false;
  }
  return true;
}

/** Starts N builds at once; returns each one's result and its output dir. */
async function buildsAtOnce(
  round: string,
  sharing: string,
): Promise<{ r: Finished; out: string; own: string }[]> {
  const runs = [];
  for (let n = 0; n < N; n++) {
    const own = `${round}-${n}`;
    const ctx = await context(round, own, sharing);
    const out = await tmp('strata-conc-out-');
    const args = ['build', '--root', root, '--progress', 'plain', '-t', `conc:${own}`];
    runs.push({ run: startCli([...args, '--output', `type=local,dest=${out}`, ctx]), out, own });
  }
  figures.concurrentBuilds += N;
  return Promise.all(runs.map(async ({ run, out, own }) => ({ r: await run.done, out, own })));
}

async function expectBuilt(
  results: { r: Finished; out: string; own: string }[],
  round: string,
): Promise<void> {
  for (const { r, out, own } of results) {
    expect(r.code, r.stderr).toBe(0);
    figures.buildsSurvived++;
    expect(await readFile(join(out, 'own.txt'), 'utf8')).toBe(`${own}\n`);
    expect(await readFile(join(out, 'common2.txt'), 'utf8')).toBe(`common ${round}\n`);
    expect(await readdir(out)).not.toContain('cache-log'); // a cache mount is never in the image
  }
}

async function expectCleanStore(): Promise<void> {
  const report = await fsckStore(root);
  figures.fsckRan(report.problems.length === 0);
  expect(problemLines(report)).toEqual([]);
  expect(await mountsUnder(root)).toEqual([]);
  expect(runcContainersUnder(root)).toEqual([]);
  expect(await leftovers(root)).toEqual([]);
}

beforeAll(async () => {
  requireRoot();
  requireBuiltCli();
  root = await tmp('strata-conc-');
  await importBusybox(root);
}, 60_000);

describe('builds at once on one store', () => {
  it('sharing=shared: all 4 succeed and all used the one cache dir', async () => {
    const before = (await trace()).length;
    await expectBuilt(await buildsAtOnce('shared', 'shared'), 'shared');
    const lines = (await trace()).slice(before);
    expect(lines.filter((l) => l.startsWith('start ')).sort()).toEqual(
      Array.from({ length: N }, (_, n) => `start shared-${n}`),
    );
    await expectCleanStore();
  }, 120_000);

  it('sharing=locked: all 4 succeed, one at a time in the cache dir', async () => {
    const before = (await trace()).length;
    await expectBuilt(await buildsAtOnce('locked', 'locked'), 'locked');
    const lines = (await trace()).slice(before);
    expect(lines).toHaveLength(2 * N);
    expect(serial(lines)).toBe(true);
    await expectCleanStore();
  }, 120_000);

  it('sharing=private: all 4 succeed; the shared dir is used by one at a time, the others get their own', async () => {
    const before = (await trace()).length;
    await expectBuilt(await buildsAtOnce('private', 'private'), 'private');
    const lines = (await trace()).slice(before);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(2 * N);
    expect(serial(lines)).toBe(true);
    await expectCleanStore();
  }, 120_000);

  it('a cache-mount lock whose holder was SIGKILLed is taken over by the next build', async () => {
    const ctx = await context('takeover', 'holder', 'locked', 30);
    const victim = startCli(['build', '--root', root, '--progress', 'plain', ctx]);
    const pid = victim.child.pid;
    // Wait until the victim holds a lock in locks/ (its RUN is sleeping inside it).
    let held: string | undefined;
    for (let i = 0; i < 300 && held === undefined; i++) {
      await sleep(100);
      for (const dir of await readdir(join(root, 'locks'))) {
        const entries = await readdir(join(root, 'locks', dir)).catch(() => [] as string[]);
        if (dir.includes('cachemount') && entries.some((e) => e.startsWith(`held.${pid}.`))) held = dir;
      }
    }
    expect(held, 'the victim never took the cache-mount lock').toBeDefined();
    victim.child.kill('SIGKILL');
    await victim.done;
    figures.faultsInjected++;
    const next = await context('takeover', 'next', 'locked');
    const r = await runCliOk(['build', '--root', root, '--progress', 'plain', next]);
    figures.buildsSurvived++;
    expect(r.stderr).toMatch(/writing image sha256:[0-9a-f]{64}/);
    expect(await readdir(join(root, 'locks', held!))).toEqual(['free']);
    await expectCleanStore();
  }, 120_000);

  it('strata prune and strata fsck while 4 builds run: the builds succeed, fsck is clean throughout', async () => {
    const building = buildsAtOnce('pruned', 'shared');
    let prunes = 0;
    let finished = false;
    void building.then(() => {
      finished = true;
    });
    const fscks: number[] = [];
    while (!finished) {
      await runCliOk(['prune', '--root', root]);
      prunes++;
      // fsck with builds in flight: they only add, in dependency order, so nothing dangles.
      const during = await startCli(['fsck', '--root', root]).done;
      fscks.push(during.code ?? -1);
      figures.fsckRan(during.code === 0);
      expect(during.stdout).toMatch(/no problems/);
    }
    await expectBuilt(await building, 'pruned');
    expect(prunes).toBeGreaterThan(0);
    expect(fscks.every((c) => c === 0)).toBe(true);
    // And a prune of everything once they are done leaves a consistent store too.
    await runCliOk(['prune', '--root', root, '--all']);
    await expectCleanStore();
  }, 180_000);
});
