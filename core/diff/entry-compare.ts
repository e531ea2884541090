/**
 * Entry comparison for RUN diffs: is an upper (or "after") entry the same as the lower one?
 * Fields: file type, permission bits, uid, gid, size, content, symlink target, device
 * number, and xattrs other than overlay's own. Not mtime: a copy-up keeps it anyway, and
 * layers clamp mtimes for reproducibility, so a touch without change is not a change.
 */
import { closeSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { openWalkedSync } from '../fs/open-walked.js';
import { getXattr, listXattrs } from '../fs/overlay-form.js';

/** True for xattrs overlayfs keeps for itself (trusted.overlay.*, user.overlay.*). */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}

function contentXattrs(p: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of listXattrs(p)) {
    if (!isOverlayXattr(n)) out.set(n, getXattr(p, n)?.toString('base64') ?? '');
  }
  return out;
}

function sameXattrs(a: string, b: string): boolean {
  const xa = contentXattrs(a);
  const xb = contentXattrs(b);
  if (xa.size !== xb.size) return false;
  for (const [k, v] of xa) if (xb.get(k) !== v) return false;
  return true;
}

/** Type, permission bits, owner and non-overlay xattrs: what a directory's identity is. */
export function sameMeta(a: string, sa: Stats, b: string, sb: Stats): boolean {
  return sa.mode === sb.mode && sa.uid === sb.uid && sa.gid === sb.gid && sameXattrs(a, b);
}

/** sameMeta plus size, content, link target and device number, for non-directories. */
export function sameEntry(a: string, sa: Stats, b: string, sb: Stats): boolean {
  if (sa.mode !== sb.mode || sa.uid !== sb.uid || sa.gid !== sb.gid || sa.size !== sb.size) return false;
  if (sa.isSymbolicLink()) return readlinkSync(a) === readlinkSync(b) && sameXattrs(a, b);
  if (sa.isCharacterDevice() || sa.isBlockDevice()) {
    if (sa.rdev !== sb.rdev) return false;
  }
  if (sa.isFile() && !sameContent(a, sa, b, sb)) return false;
  return sameXattrs(a, b);
}

/**
 * Compares the bytes of the regular files the caller lstat'ed as `sa` and `sb`, opened
 * no-follow and checked to be those very inodes (the upper side is a tree a container wrote).
 */
function sameContent(a: string, sa: Stats, b: string, sb: Stats): boolean {
  const size = sa.size;
  if (size === 0) return true;
  const fa = openWalkedSync(a, sa, 'compare file');
  let fb: number;
  try {
    fb = openWalkedSync(b, sb, 'compare file');
  } catch (err) {
    closeSync(fa);
    throw err;
  }
  try {
    const len = Math.min(size, 1 << 20);
    const ba = Buffer.allocUnsafe(len);
    const bb = Buffer.allocUnsafe(len);
    for (let pos = 0; pos < size; ) {
      const na = readFull(fa, ba, pos);
      const nb = readFull(fb, bb, pos);
      if (na !== nb || na === 0 || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      pos += na;
    }
    return true;
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

function readFull(fd: number, buf: Buffer, pos: number): number {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, pos + off);
    if (n === 0) break;
    off += n;
  }
  return off;
}
