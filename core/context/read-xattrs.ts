/**
 * Reads the xattrs that belong in a content checksum, BuildKit's filter: drop `system.*`
 * and `security.*` except `security.capability`; also drop `trusted.overlay.*` and
 * `user.overlay.*`, which are overlay's bookkeeping (opaque markers) in layer dirs, not file
 * content.
 *
 * The xattr calls themselves are core/diff/overlay-form.ts's (one binding for all of
 * core). Any failure reads as "none": xattrs are rare in build contexts and must not stop a
 * build.
 */
import { getXattr, listXattrs } from '../fs/overlay-form.js';

export function keepXattr(name: string): boolean {
  if (name.startsWith('system.')) return false;
  if (name.startsWith('security.')) return name === 'security.capability';
  if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) return false;
  // A rootless build's kept owner (core/fs/kept-owner.ts): the entry's uid/gid, not content.
  if (name === 'user.strata.owner') return false;
  return true;
}

/** Sorted [name, base64 value] pairs of the kept xattrs of `path` (callers ask for files and dirs only, never symlinks). */
export function readXattrs(path: string): [string, string][] {
  let names: string[];
  try {
    names = listXattrs(path);
  } catch {
    return [];
  }
  if (names.length === 0) return [];
  const out: [string, string][] = [];
  for (const name of names.filter(keepXattr).sort()) {
    let v: Buffer | null;
    try {
      v = getXattr(path, name);
    } catch {
      v = null;
    }
    if (v) out.push([name, v.toString('base64')]);
  }
  return out;
}
