/**
 * Bounded, no-follow, verified reads of files that untrusted input names (an OCI layout's
 * index.json and blobs, store blobs): the one way to read such a file.
 *
 * - Open with O_RDONLY|O_NOFOLLOW|O_NONBLOCK: a symlink as the last component is refused
 *   (ELOOP), never followed, so a blob linked to /dev/zero or /etc/shadow is not read;
 *   O_NONBLOCK makes opening a fifo return at once instead of waiting for a writer.
 * - fstat the opened fd, never lstat-then-open (the name may be swapped in between): it must
 *   be a regular file, at most `maxBytes`, and exactly `size` when a descriptor declared one.
 * - Read no further than that size: a file that grows after the fstat is not read past it,
 *   one that shrinks is a truncation error.
 * - verifiedChunks() hashes and counts as bytes pass and fails as soon as more than the
 *   declared size arrived, and at the end when size or digest differ (umoci's
 *   GetVerifiedBlob): a consumer that reads to the end never accepts wrong content.
 * Earlier path components are resolved as the OS does; confining them is the caller's job.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';
import { DigestMismatchError, InvalidInputError, NotFoundError } from '../oci/errors.js';

export interface BoundedOpenOptions {
  /** Refuse a file larger than this. */
  maxBytes: number;
  /** The size a descriptor declared: anything else is refused before a byte is read. */
  size?: number;
  /** Names the file in errors (default: its path). */
  what?: string;
}

export interface OpenedRegular {
  fh: FileHandle;
  /** The size fstat reported (and, when given, the declared size). */
  size: number;
}

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK; // libuv adds O_CLOEXEC
const CHUNK = 1 << 20;

/** Opens `path` for reading as above; the caller closes `fh`. */
export async function openRegularNoFollow(path: string, opts: BoundedOpenOptions): Promise<OpenedRegular> {
  const what = opts.what ?? path;
  let fh: FileHandle;
  try {
    fh = await open(path, FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`open ${what}: no such file`, { cause: err });
    if (code === 'ELOOP')
      throw new InvalidInputError(`open ${what}: is a symlink; it is not followed`, { cause: err });
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new InvalidInputError(`open ${what}: not a regular file`);
    if (opts.size !== undefined && st.size !== opts.size)
      throw new InvalidInputError(`open ${what}: ${st.size} bytes, its descriptor says ${opts.size}`);
    if (st.size > opts.maxBytes)
      throw new InvalidInputError(`open ${what}: ${st.size} bytes is more than the ${opts.maxBytes} allowed`);
    return { fh, size: st.size };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** The whole file, refused when over `maxBytes` or not a regular file (see openRegularNoFollow). */
export async function readFileBounded(path: string, maxBytes: number, what = path): Promise<Buffer> {
  const { fh, size } = await openRegularNoFollow(path, { maxBytes, what });
  try {
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(buf, got, size - got, got);
      if (bytesRead === 0) throw new InvalidInputError(`read ${what}: file shrank while read`);
      got += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/**
 * A file of the user's own configuration (~/.docker/config.json): a symlink to it is followed
 * (dotfile managers link such files), but it must be a regular file within `maxBytes`, checked
 * on the opened descriptor. Absent is undefined.
 */
export async function readUserFileBounded(path: string, maxBytes: number): Promise<Buffer | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new InvalidInputError(`read ${path}: not a regular file`);
    if (st.size > maxBytes)
      throw new InvalidInputError(`read ${path}: ${st.size} bytes is more than the ${maxBytes} allowed`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const { bytesRead } = await fh.read(buf, got, st.size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/** The cap on an image's /etc/passwd or /etc/group (real ones are a few KiB). */
export const MAX_ACCOUNT_FILE = 8 << 20;

/**
 * readFileBounded for the synchronous callers (user and group lookups inside a rootfs or a
 * layer stack): the same open flags and fstat checks. An absent file is `undefined`, as is
 * anything that is not a regular file (a fifo or device planted as /etc/passwd is not read).
 */
export function readFileBoundedSync(path: string, maxBytes: number, what = path): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP')
      throw new InvalidInputError(`open ${what}: is a symlink; it is not followed`, { cause: err });
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    if (st.size > maxBytes)
      throw new InvalidInputError(`open ${what}: ${st.size} bytes is more than the ${maxBytes} allowed`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * All of a stream that is not a file (stdin, a child process's stdout), refusing more than
 * `maxBytes`: the stream is destroyed the moment it passes the cap, so a producer that never
 * stops (`yes | strata build -f - .`) costs at most that much memory.
 */
export async function readStreamBounded(
  stream: NodeJS.ReadableStream,
  maxBytes: number,
  what: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    n += chunk.length;
    if (n > maxBytes) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw new InvalidInputError(`read ${what}: more than the ${maxBytes} bytes allowed`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Up to `size` bytes of an open file from its start, in fresh buffers (a consumer may keep
 * them); closes `fh` when done or abandoned. A shorter file is an InvalidInputError.
 */
export async function* fileChunks(
  fh: FileHandle,
  size: number,
  what: string,
  chunk = CHUNK,
): AsyncGenerator<Buffer> {
  try {
    let pos = 0;
    while (pos < size) {
      const buf = Buffer.allocUnsafe(Math.min(chunk, size - pos));
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) throw new InvalidInputError(`read ${what}: truncated at byte ${pos} of ${size}`);
      pos += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

export interface Expected {
  digest: Digest;
  /** When known, more bytes than this fail at once, fewer at the end. */
  size?: number;
}

/** Builds the error for content that is not what was expected. */
export type MismatchError = (got: { digest: Digest | undefined; size: number }) => Error;

/** Passes `src` through, failing (see the file comment) when it is not `expected`. */
export async function* verifiedChunks(
  src: AsyncIterable<Uint8Array>,
  expected: Expected,
  mismatch: MismatchError,
): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of src) {
    const chunk = Buffer.isBuffer(c) ? c : Buffer.from(c);
    size += chunk.length;
    if (expected.size !== undefined && size > expected.size) throw mismatch({ digest: undefined, size });
    hash.update(chunk);
    yield chunk;
  }
  const digest: Digest = `sha256:${hash.digest('hex')}`;
  if (digest !== expected.digest || (expected.size !== undefined && size !== expected.size))
    throw mismatch({ digest, size });
}

/**
 * A stream of the file at `path` (opened as openRegularNoFollow does, with the declared
 * size) that fails unless it is exactly `expected`. Nothing is opened until it is read.
 */
export function openVerifiedFile(
  path: string,
  expected: Expected,
  opts: { maxBytes: number; what?: string; mismatch?: MismatchError },
): Readable {
  const what = opts.what ?? path;
  const mismatch = opts.mismatch ?? mismatchError(expected, what);
  async function* chunks(): AsyncGenerator<Buffer> {
    const { fh, size } = await openRegularNoFollow(path, {
      maxBytes: opts.maxBytes,
      what,
      ...(expected.size !== undefined ? { size: expected.size } : {}),
    });
    yield* verifiedChunks(fileChunks(fh, size, what), expected, mismatch);
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** The usual wording: "verify W: content is D (N bytes), expected E (M bytes)". */
export function mismatchError(expected: Expected, what: string): MismatchError {
  return ({ digest, size }) =>
    new DigestMismatchError(
      `verify ${what}: content is ${digest ?? `over ${expected.size} bytes`}` +
        `${digest === undefined ? '' : ` (${size} bytes)`}, expected ${expected.digest}` +
        `${expected.size === undefined ? '' : ` (${expected.size} bytes)`}`,
    );
}
