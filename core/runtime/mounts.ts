import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mountPointsUnder, readMounts, unmountIfIdle } from '../../store/mount-table.js';
import { InternalError } from '../oci/errors.js';

const run = promisify(execFile);

export type { MountEntry } from '../../store/mount-table.js';
export { isUnder, parseMountinfo, readMounts } from '../../store/mount-table.js';

/** Mount points at or under `dir`, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<string[]> {
  return mountPointsUnder(await readMounts(), dir);
}

/**
 * Unmounts `target`; when it is busy, detaches it lazily (MNT_DETACH), which removes it from
 * the mount table at once. A target that is not mounted is fine.
 */
export async function unmount(target: string): Promise<void> {
  if ((await unmountIfIdle(target)) === 'unmounted') return;
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
