/**
 * replaceFile: the one way strata writes a file at a path the user or another user may have
 * prepared (an archive `dest=`, a blob or index.json in a layout directory). The bytes go to a
 * temporary file that this call creates itself (O_CREAT|O_EXCL|O_NOFOLLOW, a random name in the
 * target's own directory), which is then renamed over the target.
 *
 * Why each part: O_EXCL means a name someone planted first (a symlink to /etc/shadow in a
 * sticky /tmp, a hard link, a fifo) makes the create fail instead of being written through;
 * the random name means nobody can plant it in advance (the old `F.tmp-<pid>` was guessable);
 * the same directory keeps rename(2) atomic, and rename replaces a symlink at the target
 * rather than following it. Readers see the old file or the whole new one, never a half.
 * Not fsynced: an export is rewritten by the next build, and an fsync of a multi-GB archive
 * costs more than the crash it guards against.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidInputError, NoSpaceError } from '../oci/errors.js';

const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** A name in `dir` no one can guess ahead of time; it starts with a dot so listings hide it. */
export function tempNameIn(dir: string): string {
  return join(dir, `.strata-tmp-${randomBytes(12).toString('base64url')}`);
}

/**
 * Creates a new file exclusively at `path` (never following or reusing what is there) and
 * returns its handle; the caller closes it. EEXIST is left for the caller to judge.
 */
export async function createExclusive(path: string, mode: number): Promise<FileHandle> {
  return open(path, CREATE_EXCLUSIVE, mode);
}

export interface ReplaceFileOptions {
  /** Permission bits of the new file (before umask). Default 0o644. */
  mode?: number;
}

/**
 * Replaces `target` with what `fill` writes into the handle it is given (see the module
 * comment). `fill` may leave the handle open or close it (a write stream made with
 * `fh.createWriteStream()` closes it when it ends). On success `target` names the new file; on any
 * failure (of `fill`, the write or the rename) the temporary file is removed and `target` is
 * as it was. A directory at `target`, a missing or non-directory parent and a read-only or
 * unwritable place raise InvalidInputError; disk full raises NoSpaceError.
 */
export async function replaceFile(
  target: string,
  fill: (fh: FileHandle) => Promise<void>,
  opts: ReplaceFileOptions = {},
): Promise<void> {
  const tmp = tempNameIn(dirname(target));
  let fh: FileHandle;
  try {
    fh = await createExclusive(tmp, opts.mode ?? 0o644);
  } catch (err) {
    throw placeError(err, target);
  }
  try {
    try {
      await fill(fh);
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw placeError(err, target);
  }
}

/** replaceFile with fixed content. */
export async function replaceFileWith(target: string, data: string | Uint8Array, opts?: ReplaceFileOptions) {
  await replaceFile(target, (fh) => fh.writeFile(data), opts);
}

/** Filesystem refusals about the place (not strata's fault) as the error classes users see. */
function placeError(err: unknown, target: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  const where = `write ${target}`;
  switch (code) {
    case 'EISDIR':
    case 'ENOTEMPTY':
    case 'EEXIST':
      return new InvalidInputError(`${where}: a directory is in the way (give a file name)`, { cause: err });
    case 'ENOENT':
      return new InvalidInputError(`${where}: directory ${dirname(target)} does not exist`, { cause: err });
    case 'ENOTDIR':
      return new InvalidInputError(`${where}: ${dirname(target)} is not a directory`, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new InvalidInputError(`${where}: ${code}: cannot write in ${dirname(target)}`, { cause: err });
    case 'ENOSPC':
    case 'EDQUOT':
      return new NoSpaceError(`${where}: no space left on device`, { cause: err });
    default:
      return err;
  }
}

/** The base name a temp file of `tempNameIn` has: for sweeping and for tests. */
export function isTempName(path: string): boolean {
  return basename(path).startsWith('.strata-tmp-');
}

/**
 * Makes `path` present as a regular file: kept when one is already there (content-addressed
 * names, such as a layout's blobs, need no rewrite), else written with replaceFile (so a
 * symlink or anything else at the name is replaced, not followed).
 */
export async function putFileOnce(
  path: string,
  fill: (fh: FileHandle) => Promise<void>,
  opts?: ReplaceFileOptions,
): Promise<void> {
  if ((await lstat(path).catch(() => undefined))?.isFile()) return;
  await replaceFile(path, fill, opts);
}
