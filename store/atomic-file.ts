/**
 * Atomic file replacement: write a temp file beside the target, fsync it, rename it over the
 * target, fsync the directory. A reader sees the old content or the new, never a torn file;
 * after a crash at most a `.tmp-<owner>` file remains, which Store.open() sweeps once its
 * owner is dead.
 */
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DigestMismatchError } from '../core/oci/index.js';
import { isNotFound, mapNoSpace } from './fs-errors.js';
import { ownedName } from './process-owner.js';

/** fsyncs a directory so a rename or create inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `path` with `data` atomically (see the module comment). On failure nothing new is
 * left behind and the old content stays; disk full raises NoSpaceError. `durable: false`
 * skips both fsyncs: still atomic for readers, but after a power loss the file may be the old
 * version or empty. For data that is a cache or a report, which a later build rewrites.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  mode = 0o600,
  durable = true,
): Promise<void> {
  await replaceAtomically(path, mode, durable, (fh) => fh.writeFile(data));
}

/**
 * writeFileAtomic for data made in pieces (a document too big to be one string, or not worth
 * holding as one): each piece is written as it comes.
 */
export async function writeFileAtomicPieces(
  path: string,
  pieces: Iterable<string>,
  mode = 0o600,
  durable = true,
): Promise<void> {
  await replaceAtomically(path, mode, durable, async (fh) => {
    for (const piece of pieces) await fh.write(piece);
  });
}

async function replaceAtomically(
  path: string,
  mode: number,
  durable: boolean,
  fill: (fh: FileHandle) => Promise<void>,
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, ownedName('.tmp-'));
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fill(fh);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw mapNoSpace(err, `write ${path}`);
  }
  if (durable) await fsyncDir(dir);
}

/**
 * Reads and parses a JSON file the store wrote. A missing file gives undefined (absent is a
 * normal state); a file that does not parse is a damaged store and raises DigestMismatchError
 * naming the file (E_DIGEST_MISMATCH: stored content is not what was written).
 */
export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    const fh = await open(path, 'r');
    try {
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new DigestMismatchError(`read ${path}: corrupt json: ${(err as Error).message}`, { cause: err });
  }
}
