import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { SecurityError } from '../oci/errors.js';

/** Symlinks followed in one resolution before giving up (Linux's MAXSYMLINKS is 40; securejoin uses 255). */
const MAX_LINKS = 255;

/**
 * Resolves `p` as if `root` were `/`: the path is cleaned, then walked component by
 * component with lstat; a symlink is expanded relative to root (an absolute target restarts
 * at root, `..` never climbs above root). Components that do not exist are kept literally.
 * The result is an absolute host path equal to `root` or inside it; it never reaches out of
 * root through a symlink, whatever the tree holds (chroot semantics, like containerd's
 * `fs.RootPath` and filepath-securejoin).
 *
 * Not race-free: a process changing the tree while this runs can still move the result.
 * Callers use it on trees nothing else writes to at that moment.
 *
 * @throws SecurityError when more than 255 symlinks are followed (a loop).
 */
export function resolveInRoot(root: string, p: string): string {
  const rootAbs = path.resolve(root);
  const rel = resolveInRootRelative(rootAbs, p);
  return rel === '/' ? rootAbs : path.join(rootAbs, rel);
}

/** Like `resolveInRoot`, but returns the resolved path relative to root, as `/a/b` (root is `/`). */
export function resolveInRootRelative(root: string, p: string): string {
  const rootAbs = path.resolve(root);
  // Work list of components still to walk, first at the end (cheap pops).
  let pending = splitComponents(p).reverse();
  const done: string[] = [];
  let links = 0;
  let missing = false;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === '.' || part === '') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    done.push(part);
    // Once a component is missing nothing below it can be a symlink.
    if (missing) continue;
    const host = path.join(rootAbs, ...done);
    let st: import('node:fs').Stats;
    try {
      st = lstatSync(host);
    } catch (err) {
      if (
        (err as NodeJS.ErrnoException).code === 'ENOENT' ||
        (err as NodeJS.ErrnoException).code === 'ENOTDIR'
      ) {
        missing = true;
        continue;
      }
      throw err;
    }
    if (!st.isSymbolicLink()) continue;
    if (++links > MAX_LINKS) {
      throw new SecurityError(`resolve path in root: too many symlinks in ${p}`);
    }
    const target = readlinkSync(host);
    done.pop();
    if (target.startsWith('/')) done.length = 0;
    pending = pending.concat(splitComponents(target).reverse());
  }
  return `/${done.join('/')}`;
}

function splitComponents(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}
