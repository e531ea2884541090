/**
 * Each build's private directory, `<store>/builds/<pid>.<start>.<random>/`: on the store's
 * filesystem because overlay needs its work dir beside the upper dir (a staging dir under
 * layers/). Its name records its owner (process-owner.ts: pid plus start time, so a reused
 * pid is not mistaken for the owner) in the same step that creates it, so no other process
 * ever sees a build dir without an owner.
 *
 * Everything a build runs lives under its dir: a RUN step's bundle (its runc container's
 * state dir, which `runc list` shows) and the overlay mounted for it. So the owner of a runc
 * container or a mount is the owner of the build dir its path lies in, and a build is dead
 * only when that process is gone. sweepDeadBuilds cleans what dead builds left, and only that.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { clearMountsUnder, readMounts } from '../../store/mount-table.js';
import { isOwnerAlive, ownedName, ownerOfName } from '../../store/process-owner.js';
import type { Store } from '../../store/store.js';
import type { StaleContainer } from '../runtime/cleanup.js';

export async function makeBuildDir(storeRoot: string): Promise<string> {
  const dir = join(storeRoot, 'builds', ownedName());
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** What sweepDeadBuilds found and did; every path is store-relative. */
export interface DeadBuildSweep {
  /** Build dirs of dead owners, removed. */
  builds: string[];
  /** Their runc containers, killed (with the pids they still ran) and deleted. */
  containers: StaleContainer[];
  /** Mount points under their dirs, unmounted. */
  mounts: string[];
  /** Temp entries (the steps' staging dirs...) removed once their mounts were gone. */
  temp: string[];
  /** What had to stay because a mount still needs it or a process outlived SIGKILL. */
  kept: { path: string; reason: string }[];
}

/**
 * Cleans after builds whose owner process is gone: kills and deletes their runc containers,
 * unmounts what is mounted under their dirs (never lazily), then removes each dir under
 * which no mount remains, and sweeps the store's temp entries those mounts kept alive.
 *
 * Cheap when there is nothing to do: one readdir of builds/ and an owner check per build;
 * runc and /proc/self/mountinfo are consulted only when a dead build is found. `thorough`
 * (fsck) asks runc and the mount table anyway, to find containers and mounts under builds/
 * whose build dir is already gone.
 */
export async function sweepDeadBuilds(
  store: Store,
  opts: { thorough?: boolean } = {},
): Promise<DeadBuildSweep> {
  const base = join(store.root, 'builds');
  const rel = (p: string) => relative(store.root, p);
  const out: DeadBuildSweep = { builds: [], containers: [], mounts: [], temp: [], kept: [] };
  const names = await readdir(base).catch(() => [] as string[]);
  const verdicts = new Map<string, Promise<boolean>>();
  const buildAlive = (name: string) => {
    let v = verdicts.get(name);
    if (v === undefined) verdicts.set(name, (v = ownerAlive(join(base, name), name)));
    return v;
  };
  const dead: string[] = [];
  for (const name of names) if (!(await buildAlive(name))) dead.push(name);
  if (dead.length === 0 && !opts.thorough) {
    out.kept = store.openSweep.kept.map((k) => ({ path: k.name, reason: k.reason }));
    return out;
  }

  // Loaded only when a dead build left something (it brings runc and child_process).
  const { cleanupStale } = await import('../runtime/cleanup.js');
  const stale = await cleanupStale(base, {
    // builds/ itself is no one's: a path directly on it is never a step's.
    isLive: (p) => (p === base ? true : buildAlive(relative(base, p).split(sep)[0] as string)),
  });
  out.containers = stale.containers.map((c) => ({ ...c, bundle: rel(c.bundle) }));
  out.mounts = stale.mounts.map(rel);
  out.kept = stale.left.map((l) => ({ path: rel(l.path), reason: l.reason }));
  // runc state dirs left by a runc run killed before it recorded its container.
  out.temp.push(...stale.stateDirs);

  for (const name of dead) {
    const dir = join(base, name);
    if (out.kept.some((k) => k.path === rel(dir) || k.path.startsWith(`${rel(dir)}/`))) continue;
    const cleared = await clearMountsUnder(dir, await readMounts());
    out.mounts.push(...cleared.unmounted.map(rel));
    if (cleared.inUse !== undefined) {
      out.kept.push({ path: rel(dir), reason: cleared.inUse });
      continue;
    }
    await rm(dir, { recursive: true, force: true });
    out.builds.push(rel(dir));
  }
  // The staging dirs the dead overlays were made of are free now; else what open() kept stands.
  const swept =
    out.containers.length > 0 || out.mounts.length > 0 ? await store.sweepTemp() : store.openSweep;
  out.temp.push(...(swept === store.openSweep ? [] : swept.removed));
  out.kept.push(...swept.kept.map((k) => ({ path: k.name, reason: k.reason })));
  return out;
}

/**
 * When the oldest running build started (its build dir's birth time, ms since the epoch), or
 * undefined when none runs. The GC keeps every cache record used since then: a running build
 * touches the records it reuses once its dir exists (build.ts). Where the filesystem keeps no
 * birth time the answer is 0, which keeps every record while any build runs.
 */
export async function oldestLiveBuild(store: Store): Promise<number | undefined> {
  const base = join(store.root, 'builds');
  let oldest: number | undefined;
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (!(await ownerAlive(join(base, name), name))) continue;
    const st = await stat(join(base, name)).catch(() => undefined);
    if (st === undefined) continue;
    const born = Math.max(0, st.birthtimeMs);
    oldest = oldest === undefined ? born : Math.min(oldest, born);
  }
  return oldest;
}

/** Whether the build dir `name` belongs to a live process. */
async function ownerAlive(dir: string, name: string): Promise<boolean> {
  const owner = ownerOfName(name);
  if (owner !== undefined) return isOwnerAlive(owner);
  // Dirs of earlier versions: named by build id, the owner's pid in an `owner` file.
  const pid = Number((await readFile(join(dir, 'owner'), 'utf8').catch(() => '')).trim());
  return pid > 0 && isOwnerAlive({ pid, start: 0 });
}

/** One line for stderr about a sweep that found something, else undefined. */
export function describeDeadBuildSweep(s: DeadBuildSweep): string | undefined {
  const pids = s.containers.reduce((n, c) => n + c.pids.length, 0);
  const done = [
    s.containers.length > 0 &&
      `killed ${count(s.containers.length, 'runc container')} (${count(pids, 'process', 'processes')})`,
    s.mounts.length > 0 && `unmounted ${count(s.mounts.length, 'mount')}`,
    s.builds.length > 0 && `removed ${count(s.builds.length, 'build dir')}`,
    s.temp.length > 0 && `removed ${count(s.temp.length, 'temp entry', 'temp entries')}`,
    s.kept.length > 0 && `kept ${count(s.kept.length, 'path')} still in use`,
  ].filter((x): x is string => typeof x === 'string');
  if (done.length === 0) return undefined;
  return `cleaned up after dead builds: ${done.join(', ')}`;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
