import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** File in a step's state dir naming the strata process that owns the step. */
export const OWNER_FILE = 'owner.json';

/** Who runs a step, so `cleanupStale` can tell a live step from one a killed build left. */
export interface Owner {
  pid: number;
  /** Process start time in clock ticks (/proc/<pid>/stat field 22): tells a reused pid apart. */
  start: number;
  /** The runc container id. */
  id: string;
  runcRoot: string;
}

/** Start time of `pid`, or undefined when no such process exists. */
export function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parens: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

export async function writeOwner(stateDir: string, id: string, runcRoot: string): Promise<void> {
  const owner: Owner = { pid: process.pid, start: processStart(process.pid) ?? 0, id, runcRoot };
  await writeFile(path.join(stateDir, OWNER_FILE), `${JSON.stringify(owner)}\n`, { mode: 0o600 });
}

export async function readOwner(stateDir: string): Promise<Owner | undefined> {
  try {
    const o = JSON.parse(await readFile(path.join(stateDir, OWNER_FILE), 'utf8')) as Owner;
    if (typeof o.pid !== 'number' || typeof o.id !== 'string') return undefined;
    return o;
  } catch {
    return undefined;
  }
}

export async function removeOwner(stateDir: string): Promise<void> {
  await rm(path.join(stateDir, OWNER_FILE), { force: true });
}

/** True while the owning process is the one that wrote the file (same pid, same start). */
export function ownerAlive(o: Owner): boolean {
  const start = processStart(o.pid);
  return start !== undefined && (o.start === 0 || start === o.start);
}
