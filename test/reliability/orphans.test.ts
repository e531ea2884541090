/**
 * Orphans of a dead build: `strata build` is SIGKILLed in the middle of a RUN that keeps
 * writing a heartbeat into its root. Its container goes on running, its overlay stays
 * mounted and runc keeps its state (the test checks that first, so it proves the scenario).
 * Then:
 *   - `strata fsck` names the orphaned container, its processes and the mount, kills and
 *     unmounts them and removes the dead build's dirs; the heartbeat stops and the same
 *     Dockerfile builds again;
 *   - any command opening the store while another build is mid-RUN touches nothing of it,
 *     and fsck run at that moment reports nothing: the live build completes.
 * Needs root (RUN through runc on overlay); fails, never skips, without it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, useTempDirs } from '../e2e/helpers/index.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { requireBuiltCli, runCliOk, startCli } from './helpers/cli-process.js';
import { useFigures } from './helpers/figures.js';
import {
  fsckStore,
  leftovers,
  mountsUnder,
  problemLines,
  runcContainersUnder,
  runcInitPidsUnder,
} from './helpers/store-checks.js';

const tmp = useTempDirs();
const figures = useFigures(import.meta.filename);

// Writes /beat every 50 ms for SECS seconds: the victim gets minutes, the rebuild one second.
const DOCKERFILE = `FROM busybox
ARG SECS=1
RUN end=$(( $(date +%s) + SECS )); i=0; while [ $(date +%s) -lt $end ]; do i=$((i+1)); echo $i > /beat; sleep 0.05; done
`;

let root: string;
let ctx: string;
const cleaned = { containers: 0, processes: 0, mounts: 0 };
afterAll(async () => {
  // A failed assertion must not leave this store's container running or its overlay mounted.
  for (const id of runcContainersUnder(root))
    execFileSync('runc', ['--root', '/run/strata/runc', 'delete', '-f', id]);
  for (const m of (await mountsUnder(root)).sort((a, b) => b.length - a.length))
    execFileSync('umount', ['-l', m]);
  console.log(
    `[reliability] orphans: fsck killed ${cleaned.containers} orphaned runc containers (${cleaned.processes} processes) ` +
      `and unmounted ${cleaned.mounts} mounts of killed builds; live builds beside store opens and fsck left untouched`,
  );
});
const build = (tag: string, secs: number) => [
  'build',
  '--root',
  root,
  '--progress',
  'plain',
  '--build-arg',
  `SECS=${secs}`,
  '-t',
  tag,
  ctx,
];

beforeAll(async () => {
  requireRoot();
  requireBuiltCli();
  root = await tmp('strata-orphans-');
  ctx = await tmp('strata-orphans-ctx-');
  await importBusybox(root);
  await writeFile(join(ctx, 'Dockerfile'), DOCKERFILE);
}, 120_000);

/** The heartbeat file of a running step: in its overlay upper dir (layers/.staging-*). */
async function heartbeat(): Promise<string | undefined> {
  for (const n of await readdir(join(root, 'layers'))) {
    if (!n.startsWith('.staging-')) continue;
    const p = join(root, 'layers', n, 'diff', 'beat');
    if (await stat(p).catch(() => undefined)) return p;
  }
  return undefined;
}

/** Waits until the RUN step writes its heartbeat; returns the file. */
async function waitForHeartbeat(): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const p = await heartbeat();
    if (p) return p;
    await sleep(50);
  }
  throw new Error('the RUN step never wrote its heartbeat');
}

/** True when the heartbeat file changes within a second. */
async function beating(file: string): Promise<boolean> {
  const first = await readFile(file, 'utf8').catch(() => '');
  for (let i = 0; i < 10; i++) {
    await sleep(100);
    if ((await readFile(file, 'utf8').catch(() => '')) !== first) return true;
  }
  return false;
}

/** True while `pid` runs; a zombie (killed, not yet reaped by whoever inherited it) does not. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** Running processes whose command line mentions `word` (zombies have none). */
async function processesNaming(word: string): Promise<number[]> {
  const found: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
    if (cmd.split('\0').includes(word)) found.push(Number(d));
  }
  return found;
}

describe('a build killed with SIGKILL mid-RUN', () => {
  it('leaves a running container that strata fsck reports, kills and unmounts', async () => {
    const victim = startCli(build('orphans:victim', 600));
    const beat = await waitForHeartbeat();
    victim.child.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');
    figures.faultsInjected++;

    // The scenario: the step runs on without its builder.
    expect(await beating(beat)).toBe(true);
    const containers = runcContainersUnder(root);
    expect(containers).toHaveLength(1);
    const pids = runcInitPidsUnder(root);
    expect(pids).toHaveLength(1);
    expect(pids.every(alive)).toBe(true);
    const mounts = await mountsUnder(root);
    expect(mounts.length).toBeGreaterThan(0);
    expect((await processesNaming(containers[0] as string)).length).toBeGreaterThan(0);

    const r = await runCliOk(['fsck', '--root', root]);
    const out = r.stdout;
    expect(out).toContain(containers[0]);
    for (const pid of pids) expect(out).toContain(String(pid));
    for (const m of mounts) expect(out).toContain(m.slice(root.length + 1));
    expect(out).toMatch(/orphan-container .*\[killed\]/);
    expect(out).toMatch(/orphan-mount .*\[unmounted\]/);
    expect(out).toMatch(/orphan-build .*\[removed\]/);
    cleaned.containers += containers.length;
    cleaned.processes += (/processes ([\d ]+) \[killed\]/.exec(out)?.[1] ?? '')
      .split(' ')
      .filter(Boolean).length;
    cleaned.mounts += mounts.length;

    expect(pids.filter(alive)).toEqual([]);
    // Nor the `runc run` that started it (it names the container id on its command line).
    expect(await processesNaming(containers[0] as string)).toEqual([]);
    expect(await beating(beat)).toBe(false);
    expect(await mountsUnder(root)).toEqual([]);
    expect(runcContainersUnder(root)).toEqual([]);
    expect(await leftovers(root)).toEqual([]);
    const report = await fsckStore(root);
    figures.fsckRan(report.problems.length === 0);
    expect(problemLines(report)).toEqual([]);

    await runCliOk(build('orphans:again', 1));
    figures.buildsSurvived++;
  }, 120_000);
});

describe('a live build beside other commands on the same store', () => {
  it('is never touched by a store open or by fsck, and completes', async () => {
    const live = startCli(build('orphans:live', 4));
    figures.concurrentBuilds++;
    const beat = await waitForHeartbeat();
    const containers = runcContainersUnder(root);
    const mounts = await mountsUnder(root);
    expect(containers).toHaveLength(1);

    const images = await runCliOk(['images', '--root', root]);
    expect(images.stderr).toBe('');
    const f = await runCliOk(['fsck', '--root', root]);
    expect(f.stdout).not.toMatch(/orphan/);
    expect(runcContainersUnder(root)).toEqual(containers);
    expect(await mountsUnder(root)).toEqual(mounts);
    expect(await beating(beat)).toBe(true);

    const end = await live.done;
    expect(end.stderr).not.toMatch(/error/i);
    expect(end.code).toBe(0);
    figures.buildsSurvived++;
    expect(await mountsUnder(root)).toEqual([]);
    expect(await leftovers(root)).toEqual([]);
  }, 120_000);
});
