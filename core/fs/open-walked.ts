/**
 * Opening a file a walk has already seen, without trusting the path a second time.
 *
 * Every walker in strata lists and lstat's first, then reads. Between the two, whatever can
 * write to the tree (a RUN step writing a cache mount, another process in a build context)
 * may swap the file for a symlink to a host file, and a plain `open` would follow it: the
 * host file's bytes would end up in a layer, a cache export or a checksum. So the read
 * opens with O_NOFOLLOW (a symlink in the last component fails with ELOOP), and then checks
 * on the descriptor that it holds the very inode the walk saw, a regular file. A swapped
 * parent directory cannot redirect the open either: the inode check would fail.
 */
import {
  closeSync,
  constants,
  copyFileSync,
  fstatSync,
  openSync,
  readlinkSync,
  readSync,
  type Stats,
} from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { InvalidInputError } from '../oci/errors.js';

/** What the walk saw: the inode (as a number, bigint or decimal string) and, when known, the device. */
export interface WalkedFile {
  ino: number | bigint | string;
  dev?: number | bigint;
}

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK; // libuv adds O_CLOEXEC itself

/**
 * Opens `p` for reading, refusing a symlink and anything other than the regular file `seen`
 * names (InvalidInputError: the tree changed while it was read). The caller closes the fd.
 * Messages name `shown` (the path a user knows, when `p` is a walker's descriptor path).
 */
export function openWalkedSync(p: string, seen: WalkedFile, what = 'read file', shown = p): number {
  const fd = openNoFollow(p, what, shown);
  try {
    // Number stats (a bigint fstat makes fourteen BigInts and four Dates: every file a cold
    // COPY hashes, copies and tars passes here), the inode again as bigint past 2^53, where
    // a double rounds it. An inode that fits is exact either way, so it compares with a
    // number, bigint or decimal `seen.ino` alike.
    const st = fstatSync(fd);
    if (!st.isFile()) throw changed(what, shown, 'it is no longer a regular file');
    const ino = st.ino > Number.MAX_SAFE_INTEGER ? fstatSync(fd, { bigint: true }).ino : st.ino;
    const sameIno =
      typeof seen.ino === 'number' ? Number(ino) === seen.ino : String(ino) === String(seen.ino);
    if (!sameIno || (seen.dev !== undefined && st.dev !== Number(seen.dev)))
      throw changed(what, shown, 'it was replaced');
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * Opens `p` for reading when no lstat was taken yet: O_NOFOLLOW, and the fstat of the
 * descriptor must say regular file. That fstat is the file's stat (one path lookup instead
 * of an lstat and an open). The caller closes the fd.
 */
export function openRegularSync(p: string, what = 'read file', shown = p): { fd: number; st: Stats } {
  const fd = openNoFollow(p, what, shown);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw changed(what, shown, 'it is no longer a regular file');
    return { fd, st };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * Copies the walked regular file `src` to `dest`, which must not exist, with the kernel's
 * fastest path (reflink, copy_file_range): the copy reads through /proc/self/fd, the
 * descriptor openWalkedSync checked, never through `src` again.
 */
export function copyWalkedSync(
  src: string,
  seen: WalkedFile,
  dest: string,
  what = 'copy file',
  shown = src,
): void {
  const fd = openWalkedSync(src, seen, what, shown);
  try {
    copyFileSync(`/proc/self/fd/${fd}`, dest, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the walked regular file `p`: at most `size` bytes (its size when walked; a file
 * that grew since is not read past it, and one that shrank gives fewer bytes). With `into`
 * (at least `size` long) the bytes are read into it and a view of it is returned, valid
 * until the caller reads into it again: a hasher reading 100,000 files needs no Buffer, and
 * no malloc, per file.
 */
export function readWalkedSync(
  p: string,
  seen: WalkedFile,
  size: number,
  what = 'read file',
  into?: Buffer,
): Buffer {
  const fd = openWalkedSync(p, seen, what);
  try {
    const buf = into !== undefined && into.length >= size ? into : Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === buf.length ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** Async copyWalkedSync, for large files (the copy runs on the libuv pool). */
export async function copyWalked(
  src: string,
  seen: WalkedFile,
  dest: string,
  what = 'copy file',
): Promise<void> {
  const fd = openWalkedSync(src, seen, what);
  try {
    await copyFile(`/proc/self/fd/${fd}`, dest, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
  } finally {
    closeSync(fd);
  }
}

/** The target of the symlink a walk saw at `p`; one that is no longer a symlink is an error. */
export function readLinkWalked(p: string, what = 'read link', shown = p): string {
  try {
    return readlinkSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EINVAL' || code === 'ENOENT') throw changed(what, shown, 'it is no longer a symlink');
    throw new InvalidInputError(`${what}: ${shown}: ${code ?? 'error'}`, { cause: err });
  }
}

/** The inode in a FileEntry's `statKey` (`ino:mtime:ctime`). */
export function inodeOfStatKey(statKey: string): string {
  const i = statKey.indexOf(':');
  return i < 0 ? statKey : statKey.slice(0, i);
}

function openNoFollow(p: string, what: string, shown: string): number {
  try {
    return openSync(p, FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw changed(what, shown, 'it became a symlink');
    throw new InvalidInputError(`${what}: ${shown}: ${code ?? 'error'}`, { cause: err });
  }
}

function changed(what: string, p: string, how: string): InvalidInputError {
  return new InvalidInputError(
    `${what}: ${p} changed while being read (${how}); nothing was read through it`,
  );
}
