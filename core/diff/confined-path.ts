/**
 * Path rules for extracting untrusted tars into a fresh diff dir (security.md 2.2/2.3).
 *
 * Layer extraction targets a fresh directory no process is running in, so a careful
 * userland check is enough (no openat2): every component is lstat'ed on every entry (no
 * "is a directory" cache, the root cause of node-tar CVE-2021-32803), and a symlink met on
 * the way is refused outright. In a diff dir a symlink can only have come from the same tar,
 * and a legitimate layer never has entries below its own symlinks.
 */
import { chmodSync, lstatSync, mkdirSync, rmSync, type Stats } from 'node:fs';
import path from 'node:path';
import { isWhiteout, opaqueXattr, setXattr, WHITEOUT_PREFIX } from '../fs/overlay-form.js';
import { InvalidInputError, SecurityError } from '../oci/errors.js';

export const MAX_NAME = 4096;
export const MAX_DEPTH = 256;

/**
 * Turns a tar name into a root-relative POSIX path ('' means the root itself): strips every
 * leading `/` and `./`, cleans `.`/`..`, and refuses what is still not local (`..`, `../x`,
 * `a/../../x`) with SecurityError. NUL and control characters, over-long names and deep
 * paths are InvalidInputError. `\` is an ordinary character on Linux.
 */
export function normalizeEntryName(name: string, what = 'entry'): string {
  if (name.length > MAX_NAME)
    throw new InvalidInputError(`apply layer: ${what} name longer than ${MAX_NAME}`);
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidInputError(`apply layer: ${what} name ${JSON.stringify(name)} has control characters`);
  }
  const clean = path.posix.normalize(`/${name}`); // rooted: '..' at the top would vanish...
  const rel = path.posix.normalize(name.replace(/^\/+/, ''));
  // ...so decide locality on the unrooted form, which keeps leading '..'.
  if (rel === '..' || rel.startsWith('../')) {
    throw new SecurityError(`apply layer: ${what} ${JSON.stringify(name)} escapes the root`);
  }
  const out = clean.replace(/^\/+/, '').replace(/\/+$/, '');
  if (out.split('/').length > MAX_DEPTH)
    throw new InvalidInputError(`apply layer: ${what} name deeper than ${MAX_DEPTH}`);
  return out === '.' ? '' : out;
}

export function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Returns the absolute path of `rel`'s parent dir inside `root`, having checked each
 * component with lstat: a symlink is SecurityError (writing through it), a file is
 * InvalidInputError. With `create`, missing components are made as 0755 dirs, and a
 * whiteout from this same layer becomes an opaque dir (the tar deleted the lower path and
 * then added under it). Without `create`, returns null when a component is missing.
 */
export function confinedParent(root: string, rel: string, create: boolean): string | null {
  const parts = rel.split('/');
  let cur = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i];
    if (part.startsWith(WHITEOUT_PREFIX)) {
      throw new InvalidInputError(`apply layer: ${JSON.stringify(rel)} has a whiteout name as a directory`);
    }
    cur = path.join(cur, part);
    const st = lstatOrNull(cur);
    if (st?.isDirectory()) continue;
    if (st?.isSymbolicLink()) {
      throw new SecurityError(
        `apply layer: ${JSON.stringify(rel)} would be written through symlink ${parts.slice(0, i + 1).join('/')}`,
      );
    }
    if (st !== null && !isWhiteout(st)) {
      throw new InvalidInputError(
        `apply layer: ${JSON.stringify(rel)} is below non-directory ${parts.slice(0, i + 1).join('/')}`,
      );
    }
    if (!create) return null;
    if (st !== null) rmSync(cur);
    mkdirSync(cur);
    chmodSync(cur, 0o755); // not left to the umask: the layer's bytes must not depend on it
    if (st !== null) setXattr(cur, opaqueXattr(), 'y');
  }
  return cur;
}
