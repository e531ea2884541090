/**
 * Removes temporary entries left by processes that died: ingest files, layer staging and
 * trash dirs, `.tmp-` files of atomic writes. Only names made by ownedName() are considered,
 * and only when their owner is no longer alive, so a concurrent live build is never touched.
 *
 * Nothing is deleted under a mount: before removing a dead entry, every mount under it is
 * unmounted (never lazily), and an entry that a mount elsewhere is made of (the upper dir of
 * an overlay a dead build's container may still run in) is kept. Kept entries are reported
 * and retried by the next sweep, once the build sweep (core/exec/build-dirs.ts) has killed
 * the container and undone its overlay.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound } from './fs-errors.js';
import { clearMountsUnder, type MountEntry, readMounts } from './mount-table.js';
import { isOwnerAlive, ownerOfName } from './process-owner.js';

export interface SweepResult {
  /** Names removed. */
  removed: string[];
  /** Mount points undone before removing (absolute). */
  unmounted: string[];
  /** Names left in place because a mount still needs them, and why. */
  kept: { name: string; reason: string }[];
}

/**
 * Names in `dir` that may belong to a dead process: owned names whose owner is gone, and
 * names not made by ownedName() (their owner, if any, is recorded some other way). Nothing
 * is removed: the caller knows what else must be undone first.
 */
export async function deadOrUnowned(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((err: unknown) => {
    if (isNotFound(err)) return [] as string[];
    throw err;
  });
  return names.filter((name) => {
    const owner = ownerOfName(name);
    return owner === undefined || !isOwnerAlive(owner);
  });
}

/** Sweeps `dir` (not recursive). A missing dir is empty. */
export async function sweepStale(dir: string): Promise<SweepResult> {
  const result: SweepResult = { removed: [], unmounted: [], kept: [] };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isNotFound(err)) return result;
    throw err;
  }
  let table: MountEntry[] | undefined;
  for (const name of names) {
    const owner = ownerOfName(name);
    if (owner === undefined || isOwnerAlive(owner)) continue;
    const p = join(dir, name);
    // Read once, and only when something dead was found: a clean open reads no /proc.
    table ??= await readMounts();
    const cleared = await clearMountsUnder(p, table);
    result.unmounted.push(...cleared.unmounted);
    if (cleared.inUse !== undefined) {
      result.kept.push({ name, reason: cleared.inUse });
      continue;
    }
    if (cleared.unmounted.length > 0) table = undefined;
    // force: two processes opening the store at once may sweep the same entry.
    await rm(p, { recursive: true, force: true });
    result.removed.push(name);
  }
  return result;
}
