/**
 * Who owns a temporary store entry or a lock: a process id plus that process's start time.
 * The start time guards against pid reuse: after a crash the pid may belong to an unrelated
 * process, which must not keep a stale ingest file or lock alive.
 *
 * Owners are written into names (`<pid>.<start>.<random>`), never into file contents, so an
 * entry and its owner appear in one atomic step (no window where a file exists but is empty).
 *
 * Limits: liveness is judged with `process.kill(pid, 0)` and /proc, so it is only right for
 * processes in the same pid namespace on the same host. A store shared over NFS or between
 * containers with separate pid namespaces cannot tell a live owner from a dead one. Where
 * /proc is missing (not Linux) the start time is recorded as 0 and only the pid is checked.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface ProcessOwner {
  readonly pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); 0 when unknown. */
  readonly start: number;
}

/** The process-state and start-time fields of /proc/<pid>/stat, or undefined when unreadable. */
function procStat(pid: number): { state: string; start: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(rest[19]);
  return { state: rest[0] ?? '', start: Number.isSafeInteger(start) ? start : 0 };
}

let self: ProcessOwner | undefined;

/**
 * This process, computed once per pid: a process started from strata's startup snapshot
 * (cmd/snapshot-main.ts) carries the module state of the process that made the snapshot,
 * which forgetOwner() clears.
 */
export function currentOwner(): ProcessOwner {
  if (self?.pid !== process.pid) self = { pid: process.pid, start: procStat(process.pid)?.start ?? 0 };
  return self;
}

/**
 * Forgets the owner computed so far. The snapshot's entry calls it first thing: the snapshot
 * is made by a process that ran real builds (its owner is computed), and a process started
 * from it under that very pid (pids wrap: pid_max is 32768 on many machines) would otherwise
 * name its temp entries and build dirs with the other process's start time, and every other
 * strata process would take its live build for a dead one and sweep it.
 */
export function forgetOwner(): void {
  self = undefined;
}

/**
 * True when the owner process still runs. A zombie (exited, not yet reaped) counts as dead;
 * a stopped process (SIGSTOP) counts as alive, so its locks are kept.
 */
export function isOwnerAlive(owner: ProcessOwner): boolean {
  const me = currentOwner();
  if (owner.pid === me.pid) return owner.start === me.start;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const st = procStat(owner.pid);
  if (st === undefined) return true; // no /proc: the pid check is all we have
  if (st.state === 'Z' || st.state === 'X') return false;
  return owner.start === 0 || st.start === owner.start;
}

/** A fresh unique name `<prefix><pid>.<start>.<random hex>` owned by this process. */
export function ownedName(prefix = ''): string {
  const me = currentOwner();
  return `${prefix}${me.pid}.${me.start}.${randomBytes(8).toString('hex')}`;
}

const OWNED_RE = /^(?:\.[a-z]+-)?(\d+)\.(\d+)\.([0-9a-f]{16})$/;

/** The owner recorded in a name made by ownedName(), or undefined for any other name. */
export function ownerOfName(name: string): ProcessOwner | undefined {
  const m = OWNED_RE.exec(name);
  if (m === null) return undefined;
  return { pid: Number(m[1]), start: Number(m[2]) };
}
