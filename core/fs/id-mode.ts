/**
 * What this process may do about ids: real root, the "root" of a user namespace strata entered
 * for a non-root user (cmd/rootless-exec.ts: subordinate ids from /etc/subuid, or only the
 * user's own id, mapped), or a plain user.
 *
 * Read from the kernel (/proc/self/uid_map), not from an environment variable a caller could
 * set, so nothing decided on it can be talked into by the environment.
 */
import { readFileSync } from 'node:fs';

/** One line of /proc/self/uid_map: ids [inside, inside+count) are [outside, outside+count). */
export interface IdRange {
  inside: number;
  outside: number;
  count: number;
}

export type IdMode =
  /** Root in the initial user namespace: every id, real mounts, cgroups. */
  | { kind: 'root' }
  /** Root of a user namespace: ids inside `uids`/`gids` can own files; mounts in the namespace. */
  | { kind: 'userns'; uids: IdRange[]; gids: IdRange[] }
  /** Neither: an ordinary user that strata could not (or was told not to) move into a namespace. */
  | { kind: 'user'; uid: number };

/** Parses a uid_map/gid_map text; an unreadable file is the full identity map. */
export function parseIdMap(text: string): IdRange[] {
  const out: IdRange[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length === 3 && f.every(Number.isSafeInteger))
      out.push({ inside: f[0], outside: f[1], count: f[2] });
  }
  return out;
}

function readMap(file: string): IdRange[] {
  try {
    return parseIdMap(readFileSync(file, 'utf8'));
  } catch {
    return [{ inside: 0, outside: 0, count: 4294967295 }];
  }
}

let cached: IdMode | undefined;

/** This process's id mode (read once). */
export function idMode(): IdMode {
  if (cached) return cached;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  if (uid !== 0) return (cached = { kind: 'user', uid });
  const uids = readMap('/proc/self/uid_map');
  const initial =
    uids.length === 1 && uids[0].inside === 0 && uids[0].outside === 0 && uids[0].count === 4294967295;
  if (initial) return (cached = { kind: 'root' });
  return (cached = { kind: 'userns', uids, gids: readMap('/proc/self/gid_map') });
}

let sysAdmin: boolean | undefined;

/**
 * True when this process holds CAP_SYS_ADMIN (in its own namespace): what overlay mounts and
 * trusted.* xattrs need. Root in a default Docker container does not.
 */
export function hasSysAdmin(): boolean {
  if (sysAdmin !== undefined) return sysAdmin;
  try {
    const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    sysAdmin = eff !== undefined && ((BigInt(`0x${eff}`) >> 21n) & 1n) === 1n;
  } catch {
    sysAdmin = true;
  }
  return sysAdmin;
}

/** True when `id` is mapped in `ranges` (so a file can be owned by it here). */
export function idMapped(ranges: IdRange[], id: number): boolean {
  return ranges.some((r) => id >= r.inside && id < r.inside + r.count);
}

/** The ids that can own files here, as "0-65536" text for messages. */
export function describeRanges(ranges: IdRange[]): string {
  return ranges
    .map((r) => (r.count === 1 ? `${r.inside}` : `${r.inside}-${r.inside + r.count - 1}`))
    .join(', ');
}

/** The user's id outside the namespace (the one newuidmap mapped to 0), for per-user paths. */
export function hostUid(mode: IdMode = idMode()): number {
  if (mode.kind === 'root') return 0;
  if (mode.kind === 'user') return mode.uid;
  return mode.uids.find((r) => r.inside === 0)?.outside ?? 0;
}
