/**
 * Verified reads of content-addressed files: the bytes are hashed as they stream and the
 * stream errors at its end (DigestMismatchError) when they do not hash to the expected
 * digest. A consumer that reads to the end therefore never accepts tampered content
 * silently; one that stops early has verified nothing (the usual trade-off of streaming).
 * The open and the checks are core/fs/read-bounded.ts's (no-follow, regular file only).
 */
import { Readable } from 'node:stream';
import { fileChunks, openRegularNoFollow, verifiedChunks } from '../core/fs/read-bounded.js';
import { type Digest, DigestMismatchError, NotFoundError } from '../core/oci/index.js';

/**
 * Opens `path` as a Readable of Buffers that verifies against `digest` at end of stream;
 * `chunk`: the bytes read at a time (1 MiB by default).
 */
export function openVerified(path: string, digest: Digest, chunk?: number): Readable {
  return Readable.from(verifiedFile(path, digest, chunk), { objectMode: false });
}

async function* verifiedFile(path: string, digest: Digest, chunk?: number): AsyncGenerator<Buffer> {
  let opened: Awaited<ReturnType<typeof openRegularNoFollow>>;
  try {
    opened = await openRegularNoFollow(path, { maxBytes: Number.MAX_SAFE_INTEGER });
  } catch (err) {
    if (err instanceof NotFoundError)
      throw new NotFoundError(`open blob ${digest}: not in store`, { cause: err });
    throw err;
  }
  yield* verifiedChunks(fileChunks(opened.fh, opened.size, path, chunk), { digest }, (got) =>
    mismatch(got.digest ?? 'more bytes', digest, path),
  );
}

/** Throws DigestMismatchError naming the file when `actual` is not `expected`. */
export function verifyDigest(actual: Digest, expected: Digest, where: string): void {
  if (actual !== expected) throw mismatch(actual, expected, where);
}

function mismatch(actual: string, expected: Digest, where: string): DigestMismatchError {
  return new DigestMismatchError(
    `verify blob ${expected}: content of ${where} hashes to ${actual}; the store was modified, rebuild or re-pull it`,
  );
}
