/**
 * Removes temporary entries left by processes that died: ingest files, layer staging and
 * trash dirs, `.tmp-` files of atomic writes. Only names made by ownedName() are considered,
 * and only when their owner is no longer alive, so a concurrent live build is never touched.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound } from './fs-errors.js';
import { isOwnerAlive, ownerOfName } from './process-owner.js';

/** Sweeps `dir` (not recursive); returns the names removed. A missing dir is empty. */
export async function sweepStale(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = ownerOfName(name);
    if (owner === undefined || isOwnerAlive(owner)) continue;
    // force: two processes opening the store at once may sweep the same entry.
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
