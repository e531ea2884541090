import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { InternalError } from '../oci/errors.js';

const run = promisify(execFile);

/** One line of /proc/self/mountinfo, the fields strata needs. */
export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
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

/** Mount points at or under `dir`, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const points = (await readMounts()).map((m) => m.mountPoint).filter((p) => isUnder(p, dir));
  // Stacked mounts appear once per layer; keep each occurrence so every layer is undone.
  return points.sort((a, b) => b.length - a.length);
}

/**
 * Unmounts `target`; when it is busy, detaches it lazily (MNT_DETACH), which removes it from
 * the mount table at once. A target that is not mounted is fine.
 */
export async function unmount(target: string): Promise<void> {
  try {
    await run('umount', [target]);
    return;
  } catch (err) {
    const msg = String((err as { stderr?: string }).stderr ?? (err as Error).message);
    if (/not mounted|no mount point|not found/i.test(msg)) return;
  }
  try {
    await run('umount', ['-l', target]);
  } catch (err) {
    const msg = String((err as { stderr?: string }).stderr ?? (err as Error).message);
    if (/not mounted|no mount point|not found/i.test(msg)) return;
    throw new InternalError(`unmount ${target}: ${msg.trim()}`, { cause: err });
  }
}

/**
 * Unmounts everything at or under `dir`, deepest first, until /proc/self/mountinfo shows
 * nothing there.
 * @returns how many unmounts were made
 * @throws InternalError when mounts remain after a few rounds
 */
export async function unmountUnder(dir: string): Promise<number> {
  let count = 0;
  for (let round = 0; round < 5; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return count;
    for (const p of points) {
      await unmount(p);
      count++;
    }
  }
  const left = await mountsUnder(dir);
  if (left.length > 0) throw new InternalError(`unmount under ${dir}: still mounted: ${left.join(', ')}`);
  return count;
}
