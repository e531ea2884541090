/** Apparent size of a directory tree, for `strata du`. */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound } from './fs-errors.js';

/**
 * Sum of the sizes of regular files and symlinks under `dir` (hard links counted once),
 * without following symlinks. A missing dir has size 0; entries vanishing mid-walk are
 * skipped (a concurrent prune may be deleting).
 */
export async function dirSize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(p);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const name of names) {
      const child = join(p, name);
      let st: Awaited<ReturnType<typeof lstat>>;
      try {
        st = await lstat(child);
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      if (st.isDirectory()) await walk(child);
      else if (st.isFile() || st.isSymbolicLink()) {
        const inode = `${st.dev}:${st.ino}`;
        if (st.nlink > 1 && seen.has(inode)) continue;
        seen.add(inode);
        total += st.size;
      }
    }
  };
  await walk(dir);
  return total;
}
