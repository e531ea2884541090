/**
 * Post-conditions every reliability test checks on a store: fsck finds nothing; nothing of a
 * dead process lingers (mounts, runc containers, ingest files, staging dirs, build dirs).
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fsck } from '../../../core/fsck/fsck.js';
import type { FsckReport } from '../../../core/fsck/fsck-report.js';
import { Store } from '../../../store/store.js';

/** fsck (no repair) of the store at `root`; the report. */
export async function fsckStore(root: string): Promise<FsckReport> {
  return fsck(await Store.open(root));
}

/** A readable list of fsck's problems, for expect(...).toEqual([]). */
export function problemLines(r: FsckReport): string[] {
  return r.problems.map((p) => `${p.kind} ${p.path}: ${p.detail}`);
}

/** Mount points under `root`, from /proc/mounts (octal escapes decoded). */
export async function mountsUnder(root: string): Promise<string[]> {
  const abs = resolve(root);
  const text = await readFile('/proc/mounts', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((m) => m === abs || m.startsWith(`${abs}/`));
}

/** runc containers (under strata's runc root) whose bundle lies under `root`. */
export function runcContainersUnder(root: string, runcRoot = '/run/strata/runc'): string[] {
  return runcListUnder(root, runcRoot).map((c) => c.id);
}

function runcListUnder(root: string, runcRoot: string): { id: string; pid: number; bundle: string }[] {
  let out: string;
  try {
    out = execFileSync('runc', ['--root', runcRoot, 'list', '--format', 'json'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const list = (JSON.parse(out || '[]') ?? []) as { id: string; pid: number; bundle: string }[];
  return list.filter((c) => resolve(c.bundle).startsWith(`${resolve(root)}/`));
}

/** The init pids (the step's shell) of the runc containers whose bundle lies under `root`. */
export function runcInitPidsUnder(root: string, runcRoot = '/run/strata/runc'): number[] {
  return runcListUnder(root, runcRoot).map((c) => c.pid);
}

/** Temp entries left in the store: ingest files, layer staging/trash dirs, build dirs. */
export async function leftovers(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const n of await readdir(join(root, 'ingest'))) found.push(`ingest/${n}`);
  for (const n of await readdir(join(root, 'layers'))) if (n.startsWith('.')) found.push(`layers/${n}`);
  for (const n of await readdir(join(root, 'builds')).catch(() => [])) found.push(`builds/${n}`);
  return found;
}

/** Cache record keys present in the store. */
export async function cacheKeys(root: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const n of await readdir(join(root, 'cache'))) {
    if (!n.endsWith('.json')) continue;
    // The second record a run writes under its content key (early cutoff) is not a step.
    const rec = JSON.parse(await readFile(join(root, 'cache', n), 'utf8').catch(() => '{}'));
    if (rec?.options?.contentKeyed) continue;
    out.add(n.slice(0, 64));
  }
  return out;
}
