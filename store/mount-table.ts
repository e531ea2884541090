/**
 * The mount table (/proc/self/mountinfo) as the store's sweeps need it: which mounts lie at
 * or under a path, and which mounts still use a directory as their backing store (overlay's
 * upper, work and lower dirs), so nothing is deleted while a mount depends on it.
 *
 * The table is read only when a sweep has found something of a dead process to remove, so
 * opening a store with nothing to sweep costs no read of /proc.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** One line of /proc/self/mountinfo, the fields strata needs. */
export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
  /** The filesystem's own options (overlay's lowerdir=,upperdir=,workdir= among them). */
  superOptions: string;
}

/** Undoes mountinfo's octal escapes (`\040` for a space and so on). */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0) continue;
    out.push({
      mountPoint: unescapeMountField(f[4] as string),
      fsType: f[sep + 1] as string,
      source: unescapeMountField(f[sep + 2] as string),
      superOptions: f[sep + 3] ?? '',
    });
  }
  return out;
}

export async function readMounts(): Promise<MountEntry[]> {
  return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** True when `p` is `dir` or lies under it (by path components, so /a/bc is not under /a/b). */
export function isUnder(p: string, dir: string): boolean {
  const d = path.resolve(dir);
  return p === d || p.startsWith(d.endsWith('/') ? d : `${d}/`);
}

/**
 * The host directories an overlay mount is made of (its lowerdir, upperdir and workdir),
 * as the kernel shows them in the super options; none for other filesystems.
 */
export function backingDirs(m: MountEntry): string[] {
  if (m.fsType !== 'overlay') return [];
  const dirs: string[] = [];
  // Options are comma-separated; the kernel escapes a comma inside a path as \054.
  for (const opt of m.superOptions.split(',')) {
    const eq = opt.indexOf('=');
    const key = opt.slice(0, eq);
    const value = unescapeMountField(opt.slice(eq + 1));
    if (key === 'upperdir' || key === 'workdir') dirs.push(value);
    // lowerdir lists dirs separated by ':' (the kernel escapes a ':' in a path as '\:').
    if (key === 'lowerdir') dirs.push(...value.split(/(?<!\\):/).map((d) => d.replace(/\\:/g, ':')));
  }
  return dirs;
}

/** Mount points at or under `dir`, deepest first (the order to unmount them in). */
export function mountPointsUnder(table: readonly MountEntry[], dir: string): string[] {
  const points = table.map((m) => m.mountPoint).filter((p) => isUnder(p, dir));
  // Stacked mounts appear once per layer; keep each occurrence so every layer is undone.
  return points.sort((a, b) => b.length - a.length);
}

/** Mounts elsewhere that are made of a directory at or under `dir` (an overlay's upper dir...). */
export function mountsBackedBy(table: readonly MountEntry[], dir: string): MountEntry[] {
  return table.filter((m) => !isUnder(m.mountPoint, dir) && backingDirs(m).some((b) => isUnder(b, dir)));
}

/**
 * Unmounts `target` without MNT_DETACH. A busy mount is left as it is and reported: a lazy
 * detach would hide a mount that something still uses, and the next sweep would then delete
 * under it. A target that is not mounted counts as unmounted.
 */
export async function unmountIfIdle(target: string): Promise<'unmounted' | 'busy'> {
  // Loaded here: opening a store with nothing to unmount should not pay for child_process.
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  try {
    await promisify(execFile)('umount', [target]);
    return 'unmounted';
  } catch (err) {
    const msg = String((err as { stderr?: string }).stderr ?? (err as Error).message);
    if (/not mounted|no mount point|not found/i.test(msg)) return 'unmounted';
    return 'busy';
  }
}

/** What clearing the mounts of a directory did: the points undone, and why it stays if it must. */
export interface ClearResult {
  unmounted: string[];
  /** Why the directory must stay: a busy mount under it, or a mount elsewhere made of it. */
  inUse?: string;
}

/**
 * Makes `dir` safe to delete: unmounts every mount at or under it (deepest first, never
 * lazily) and checks that no mount elsewhere is made of it. `inUse` is set when either
 * fails; then nothing under `dir` may be deleted.
 */
export async function clearMountsUnder(dir: string, table: readonly MountEntry[]): Promise<ClearResult> {
  const unmounted: string[] = [];
  const backed = mountsBackedBy(table, dir);
  if (backed.length > 0) {
    return { unmounted, inUse: `the ${backed[0]?.fsType} mount at ${backed[0]?.mountPoint} is made of it` };
  }
  for (const p of mountPointsUnder(table, dir)) {
    if ((await unmountIfIdle(p)) === 'busy') return { unmounted, inUse: `the mount at ${p} is busy` };
    unmounted.push(p);
  }
  if (unmounted.length > 0) {
    // Trust the table, not umount's exit: a mount propagated back or stacked twice stays.
    const left = mountPointsUnder(await readMounts(), dir);
    if (left.length > 0) return { unmounted, inUse: `the mount at ${left[0]} is still there` };
  }
  return { unmounted };
}
