/**
 * LayerEntry: one change a layer makes, in the same words whatever the image came from (a
 * store layer's diff dir in overlay form, or a layer tar with `.wh.` names). A whiteout
 * deletes `path` (and everything below it) from the layers beneath; an opaque entry is a
 * directory whose lower contents are hidden (the dir itself is listed as a `dir` too).
 */

import type { TarEntry } from '../diff/tar-reader.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from '../fs/overlay-form.js';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface LayerEntry {
  /** Image path without a leading `/` (`etc/passwd`). */
  path: string;
  kind: EntryKind | 'whiteout' | 'opaque';
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of regular files; 0 for everything else. */
  size: number;
  /** Symlink target, or the image path a hardlink points at. */
  link?: string;
  /** sha256 hex of a regular file's bytes (what duplicate detection compares). */
  digest?: string;
}

/** A tar name as an image path: no leading `./` or `/`, no trailing `/`; `''` is the root. */
export function imagePath(name: string): string {
  return name
    .replace(/^(\.\/|\/)+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
}

/**
 * The entry a tar header stands for (OCI image-spec layer.md): `.wh.x` deletes `x`,
 * `.wh..wh..opq` makes its directory opaque, other `.wh..wh.*` names are AUFS bookkeeping
 * (undefined: skip them).
 */
export function entryFromTar(e: TarEntry, digest?: string): LayerEntry | undefined {
  const path = imagePath(e.name);
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  const common = { mode: e.mode, uid: e.uid, gid: e.gid, size: 0 };
  if (base === OPAQUE_MARKER) return { path: dir, kind: 'opaque', ...common };
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return undefined;
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const name = base.slice(WHITEOUT_PREFIX.length);
    return { path: dir === '' ? name : `${dir}/${name}`, kind: 'whiteout', ...common };
  }
  const kind: EntryKind = e.type === 'link' ? 'hardlink' : e.type;
  const out: LayerEntry = { path, kind, ...common, size: e.type === 'file' ? e.size : 0 };
  if (e.type === 'symlink') out.link = e.linkname;
  if (e.type === 'link') out.link = imagePath(e.linkname);
  if (digest !== undefined) out.digest = digest;
  return out;
}
