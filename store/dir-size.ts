/** Apparent size of a directory tree, for `strata du`. */
import { walkDirSync } from '../core/fs/walk-dir.js';
import { isNotFound } from './fs-errors.js';

/**
 * Sum of the sizes of regular files and symlinks under `dir` (hard links counted once),
 * without following symlinks (core/fs's walker). A missing dir has size 0; entries
 * vanishing mid-walk are skipped (a concurrent prune may be deleting). The walk is
 * synchronous (page-cached lstats are cheaper than trips through the libuv pool, see
 * core/fs/walk-tree.ts); the promise is kept for callers.
 */
export async function dirSize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  walkDirSync(
    dir,
    {
      visit(v) {
        let st: typeof v.st;
        try {
          st = v.st;
        } catch (err) {
          if (isNotFound(err)) return false;
          throw err;
        }
        if (st.isDirectory()) return true;
        if (st.isFile() || st.isSymbolicLink()) {
          const inode = `${st.dev}:${st.ino}`;
          if (st.nlink > 1 && seen.has(inode)) return false;
          seen.add(inode);
          total += st.size;
        }
        return false;
      },
    },
    { order: 'listing', vanished: 'empty' },
  );
  return total;
}
