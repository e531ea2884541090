/**
 * Quarantine: where `fsck --repair` moves damaged entries instead of deleting them, so a
 * person can still look at (or recover) what was there:
 *   <root>/quarantine/<category>/<name>.<utc time>.<random>
 * A move is one rename() within the store's filesystem, so an entry is either in its old
 * place or in quarantine, never half in each. The random suffix makes every target new
 * (rename would silently replace an existing file).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { dirSize } from '../../store/dir-size.js';

export class Quarantine {
  readonly dir: string;
  readonly #storeRoot: string;

  constructor(storeRoot: string) {
    this.#storeRoot = storeRoot;
    this.dir = join(storeRoot, 'quarantine');
  }

  /**
   * Moves `path` (a file or dir inside the store) to quarantine/<category>/; returns the new
   * store-relative path, or undefined when `path` had already gone (someone removed it).
   */
  async move(path: string, category: string): Promise<string | undefined> {
    const dir = join(this.dir, category);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const to = join(dir, `${basename(path)}.${stamp}.${randomBytes(4).toString('hex')}`);
    try {
      await rename(path, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return relative(this.#storeRoot, to);
  }
}

/** Entries fsck quarantined under `storeRoot`, and their bytes (what `strata du` shows). */
export async function quarantineUsage(storeRoot: string): Promise<{ entries: number; size: number }> {
  const dir = join(storeRoot, 'quarantine');
  let entries = 0;
  for (const category of await readdir(dir).catch(() => [] as string[])) {
    entries += (await readdir(join(dir, category)).catch(() => [] as string[])).length;
  }
  return { entries, size: entries === 0 ? 0 : await dirSize(dir) };
}

/** Deletes everything fsck quarantined (`strata prune --all` or `--filter type=quarantine`). */
export async function clearQuarantine(storeRoot: string): Promise<{ entries: number; size: number }> {
  const usage = await quarantineUsage(storeRoot);
  await rm(join(storeRoot, 'quarantine'), { recursive: true, force: true });
  return usage;
}
