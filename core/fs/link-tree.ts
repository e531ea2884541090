/**
 * linkTree: a second name for an immutable diff dir. Directories are recreated with the
 * source's mode, owner, times and xattrs; everything else (files, symlinks, devices, fifos)
 * is hard-linked, so the copy costs one link per entry and no file bytes. What `COPY --link`
 * needs to stack the same layer on another parent: the same diffID under a new chainID.
 *
 * Only for trees the store owns and never changes (layer diff dirs): a hard link shares the
 * inode, so a later write to either name would change both. Nothing is followed: entries
 * are read with lstat and links are made with link(2), which does not follow symlinks.
 */
import { chmodSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { getXattr, listXattrs, setXattr } from './overlay-form.js';

/** Makes `dest` (which must not exist) a linked copy of the directory `src`. */
export function linkTree(src: string, dest: string): void {
  const st = lstatSync(src);
  mkdirSync(dest);
  for (const name of readdirSync(src)) {
    const s = path.join(src, name);
    const d = path.join(dest, name);
    if (lstatSync(s).isDirectory()) linkTree(s, d);
    else linkSync(s, d);
  }
  for (const x of listXattrs(src)) {
    const v = getXattr(src, x);
    if (v !== null) setXattr(dest, x, v);
  }
  lchownSync(dest, st.uid, st.gid);
  chmodSync(dest, st.mode & 0o7777);
  lutimesSync(dest, st.atime, st.mtime);
}
