/**
 * Crash safety: a build is SIGKILLed at 15 points of its run (from 50 ms, before the store
 * is even opened, to 3 s, its last steps). Only the node process is killed: its runc
 * container, overlay mount and cache-mount lock are orphaned, as after a real crash. After
 * each kill:
 *   - fsck finds nothing wrong (a step's layer is committed before its record, blobs and
 *     records appear by rename, so a kill can leave only unreferenced or temp things);
 *   - the next build succeeds, and exactly the steps whose records the killed build wrote
 *     are CACHED (a prefix of the steps: nothing completed is lost, nothing half-done hits);
 *   - fsck also kills the dead build's runc container and undoes its mount, so no mount,
 *     runc container, ingest file, staging or build dir of it is left; after the next
 *     build none is either, and fsck is clean again.
 * Needs root (RUN through runc on overlay); fails, never skips, without it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, useTempDirs } from '../e2e/helpers/index.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { stepOutcomes } from '../helpers/cli.js';
import { requireBuiltCli, runCliOk, startCli } from './helpers/cli-process.js';
import { useFigures } from './helpers/figures.js';
import {
  cacheKeys,
  fsckStore,
  leftovers,
  mountsUnder,
  problemLines,
  runcContainersUnder,
} from './helpers/store-checks.js';

const tmp = useTempDirs();
const figures = useFigures(import.meta.filename);

const DOCKERFILE = `FROM busybox
COPY a.txt /a.txt
RUN sleep 0.2 && cat /a.txt > /a2.txt
COPY b.txt /b.txt
RUN --mount=type=cache,target=/cache,sharing=locked sh -c 'sleep 0.2; cat /a.txt >> /cache/log; cp /cache/log /log'
COPY c.txt /c.txt
RUN sleep 0.2 && ls / > /list && cat /a2.txt /b.txt /c.txt > /all
`;
const STEPS = 6;

/** Kill points (ms after spawn), from before the store is opened to the last step. */
const DELAYS = [50, 150, 300, 450, 600, 800, 1000, 1200, 1450, 1700, 2000, 2300, 2600, 2900, 3200];

let root: string;
let ctx: string;
/** What kills left behind for the next build to clean (mounts, containers, temp entries). */
const orphaned = { mounts: 0, containers: 0, tempEntries: 0, stepsKeptCached: 0 };
afterAll(() => {
  console.log(
    `[reliability] crash-safety: fsck cleaned ${orphaned.mounts} mounts, ${orphaned.containers} runc containers ` +
      `and ${orphaned.tempEntries} temp entries left by killed builds, and reused ${orphaned.stepsKeptCached} completed steps`,
  );
});
const build = (tag: string) => ['build', '--root', root, '--progress', 'plain', '-t', tag, ctx];

beforeAll(async () => {
  requireRoot();
  requireBuiltCli();
  root = await tmp('strata-crash-');
  ctx = await tmp('strata-crash-ctx-');
  await importBusybox(root);
  await writeFile(join(ctx, 'Dockerfile'), DOCKERFILE);
  await writeFile(join(ctx, 'b.txt'), 'b\n');
  await writeFile(join(ctx, 'c.txt'), 'c\n');
  await writeFile(join(ctx, 'a.txt'), 'warm-up\n');
  await runCliOk(build('crash:warm'));
}, 120_000);

describe('a build killed with SIGKILL', () => {
  it.each(DELAYS.map((d, i) => [i, d]))(
    'kill #%i at %i ms: fsck clean, the rebuild reuses exactly what was done',
    async (i, delay) => {
      // New content for the first COPY: every step of this build is a miss until it runs.
      await writeFile(join(ctx, 'a.txt'), `iteration ${i}\n`);
      const before = await cacheKeys(root);
      const victim = startCli(build(`crash:${i}`));
      await sleep(delay);
      const killed = victim.child.kill('SIGKILL');
      const end = await victim.done;
      const injected = killed && end.signal === 'SIGKILL';
      if (injected) figures.faultsInjected++;

      const completed = [...(await cacheKeys(root))].filter((k) => !before.has(k));
      const containers = runcContainersUnder(root);
      orphaned.mounts += (await mountsUnder(root)).length;
      orphaned.containers += containers.length;
      orphaned.tempEntries += (await leftovers(root)).length;
      orphaned.stepsKeptCached += completed.length;
      const afterKill = await fsckStore(root);
      figures.fsckRan(afterKill.problems.length === 0);
      expect(problemLines(afterKill)).toEqual([]);
      // fsck itself cleaned what the kill orphaned: after it nothing of the dead build runs
      // or is mounted (asserted below). What it lists is what it killed: a container counted
      // above may be missing, because the dead build's `runc run` (its own process group,
      // not killed with strata) can finish the step and delete its container in between; and
      // one may be extra, which a surviving `runc run` was still setting up when counted.
      for (const c of afterKill.orphans.containers) expect(c.id).toMatch(/^strata-[0-9a-f]{12}$/);
      expect(afterKill.orphans.kept).toEqual([]);
      expect(await mountsUnder(root)).toEqual([]);
      expect(runcContainersUnder(root)).toEqual([]);
      expect(await leftovers(root)).toEqual([]);

      const again = await runCliOk(build(`crash:${i}`));
      figures.buildsSurvived++;
      const steps = stepOutcomes(again.stderr);
      expect(steps).toHaveLength(STEPS);
      const cached = steps.map((s) => s.cached);
      // Exactly the steps the dead build recorded hit, and they are the first ones.
      expect(cached).toEqual(steps.map((_, n) => n < completed.length));
      if (!injected) expect(completed).toHaveLength(STEPS); // it had finished before the kill

      expect(await mountsUnder(root)).toEqual([]);
      expect(runcContainersUnder(root)).toEqual([]);
      expect(await leftovers(root)).toEqual([]);
      const afterRebuild = await fsckStore(root);
      figures.fsckRan(afterRebuild.problems.length === 0);
      expect(problemLines(afterRebuild)).toEqual([]);
    },
    60_000,
  );
});
