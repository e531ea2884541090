import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isUnder, mountPointsUnder, readMounts, unmountIfIdle } from '../../store/mount-table.js';
import { isOwnerAlive } from '../../store/process-owner.js';
import { ownerAlive, readOwner } from './owner.js';
import { defaultRuncRoot } from './rootless.js';
import { runcDelete, runcList, runcPs } from './runc.js';
import { findRunc } from './runc-version.js';

/** A container of a dead owner that cleanupStale killed and deleted. */
export interface StaleContainer {
  id: string;
  /** Its bundle (the step's state dir), absolute. */
  bundle: string;
  /** The processes it still ran (`runc ps`), all gone afterwards unless listed in `left`. */
  pids: number[];
}

export interface StaleCleanup {
  containers: StaleContainer[];
  /** Mount points undone (absolute), deepest first. */
  mounts: string[];
  /** What could not be undone: a busy mount, a process that outlived SIGKILL. */
  left: { path: string; reason: string }[];
  /** runc state dirs of containers that were never recorded (see sweepUnrecorded), removed. */
  stateDirs: string[];
}

/** How cleanupStale tells a live step's path (bundle, mount point) from a dead one's. */
export type IsLive = (p: string) => boolean | Promise<boolean>;

/** Default liveness: the nearest state dir up to `stateRoot` with an owner file names a live process. */
function ownerFileLiveness(stateRoot: string): IsLive {
  return async (p) => {
    for (let dir = p; isUnder(dir, stateRoot) && dir !== stateRoot; dir = path.dirname(dir)) {
      const owner = await readOwner(dir);
      if (owner) return ownerAlive(owner);
    }
    return false;
  };
}

/**
 * Cleans what RUN steps of dead strata processes (SIGKILL, power loss of a namespace) left
 * under `stateRoot`: runc containers whose bundle lies under stateRoot and is not live are
 * killed with every process in them (`runc delete -f`, then waited for), and then every
 * mount under stateRoot that is not live is unmounted, deepest first. The order matters: a
 * container keeps its own copy of the overlay mount in its mount namespace, so unmounting
 * the host's copy alone would leave it running on the same upper dir.
 *
 * Mounts are never detached lazily: a busy one stays and is listed in `left`, so the caller
 * knows not to delete the directory under it. Steps of live processes are left alone. Does
 * not remove directories: a state dir is the caller's to delete.
 *
 * @param opts.runcRoot the runc --root the steps used (default defaultRuncRoot())
 * @param opts.isLive which paths belong to a live step (default: the step's owner file)
 */
export async function cleanupStale(
  stateRoot: string,
  opts: { runcRoot?: string; runc?: string; isLive?: IsLive } = {},
): Promise<StaleCleanup> {
  const root = path.resolve(stateRoot);
  const runcRoot = opts.runcRoot ?? defaultRuncRoot();
  const runc = opts.runc ?? findRunc();
  const isLive = opts.isLive ?? ownerFileLiveness(root);
  const out: StaleCleanup = { containers: [], mounts: [], left: [], stateDirs: [] };
  // First the `runc run` processes a dead step started: one killed mid-setup would otherwise
  // go on to create and start its container after the runc list below.
  const runs: RuncRun[] = [];
  for (const r of await runcRunsUnder(root)) if (!(await isLive(r.bundle))) runs.push(r);
  for (const r of runs) {
    try {
      process.kill(r.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  await survivors(runs.map((r) => r.pid));
  const listed = runc && existsSync(runcRoot) ? await runcList(runc, runcRoot) : [];
  for (const c of listed) {
    const bundle = path.resolve(c.bundle);
    if (!isUnder(bundle, root) || (await isLive(bundle))) continue;
    const pids = runc ? await runcPs(runc, runcRoot, c.id) : [];
    if (runc) await runcDelete(runc, runcRoot, c.id);
    pids.unshift(...runs.filter((r) => r.id === c.id).map((r) => r.pid));
    out.containers.push({ id: c.id, bundle, pids });
    for (const pid of await survivors(pids)) {
      out.left.push({ path: bundle, reason: `process ${pid} of container ${c.id} still runs` });
    }
  }
  if (existsSync(runcRoot)) out.stateDirs = await sweepUnrecorded(runcRoot);
  // A step killed before runc recorded its container: its runc run is all there was.
  for (const r of runs) {
    if (!out.containers.some((c) => c.id === r.id))
      out.containers.push({ id: r.id, bundle: r.bundle, pids: [r.pid] });
  }
  for (const m of mountPointsUnder(await readMounts(), root)) {
    if (await isLive(m)) continue;
    if ((await unmountIfIdle(m)) === 'busy') out.left.push({ path: m, reason: 'the mount is busy' });
    else if (!out.mounts.includes(m)) out.mounts.push(m);
  }
  return out;
}

/** How old an unrecorded state dir must be before it is taken for dead (runc writes state.json within ms). */
const UNRECORDED_GRACE_MS = 60_000;

/**
 * A `runc run` killed between making its state dir and writing state.json leaves a dir with
 * only exec.fifo: runc can neither list nor delete it ("container does not exist"), and every
 * later `runc list` complains about it. In strata's runc root every container is strata's, so
 * such a dir (named strata-*, without state.json, older than a minute, and named by no runc
 * process still running) is removed. Returns the dirs removed.
 */
async function sweepUnrecorded(runcRoot: string): Promise<string[]> {
  const removed: string[] = [];
  let running: string[][] | undefined;
  for (const id of await readdir(runcRoot).catch(() => [] as string[])) {
    if (!id.startsWith('strata-')) continue;
    const dir = path.join(runcRoot, id);
    const st = await lstat(dir).catch(() => undefined);
    if (!st?.isDirectory() || Date.now() - st.mtimeMs < UNRECORDED_GRACE_MS) continue;
    if (existsSync(path.join(dir, 'state.json'))) continue;
    running ??= (await runcProcesses()).map((p) => p.argv);
    if (running.some((argv) => argv.includes(id))) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/** The pids still running (zombies count as gone) after up to ~3 s: SIGKILL is quick, exit is not instant. */
async function survivors(pids: number[]): Promise<number[]> {
  let left = pids;
  for (let i = 0; i < 60 && left.length > 0; i++) {
    left = left.filter((pid) => isOwnerAlive({ pid, start: 0 }));
    if (left.length > 0) await sleep(50);
  }
  return left;
}

/** A `runc ... run --bundle B ID` process (how run-step.ts starts every step). */
interface RuncRun {
  pid: number;
  id: string;
  bundle: string;
}

/** The runc run processes whose bundle lies under `root`, found by their command lines. */
async function runcRunsUnder(root: string): Promise<RuncRun[]> {
  const found: RuncRun[] = [];
  for (const { pid, argv } of await runcProcesses()) {
    const b = argv.indexOf('--bundle');
    if (b < 0 || !argv.includes('run')) continue;
    const bundle = path.resolve(argv[b + 1] ?? '/');
    if (!isUnder(bundle, root)) continue;
    // cmdline ends with a NUL, so the id is the next to last field.
    found.push({ pid, id: argv[argv.length - 2] ?? '', bundle });
  }
  return found;
}

/** Every runc process and its argv (read from /proc/PID/cmdline). */
async function runcProcesses(): Promise<{ pid: number; argv: string[] }[]> {
  const out: { pid: number; argv: string[] }[] = [];
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const argv = (await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (path.basename(argv[0] ?? '').startsWith('runc')) out.push({ pid: Number(name), argv });
  }
  return out;
}
