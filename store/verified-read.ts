/**
 * Verified reads of content-addressed files: the bytes are hashed as they stream and the
 * stream errors at its end (DigestMismatchError) when they do not hash to the expected
 * digest. A consumer that reads to the end therefore never accepts tampered content
 * silently; one that stops early has verified nothing (the usual trade-off of streaming).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { type Digest, DigestMismatchError, NotFoundError } from '../core/oci/index.js';
import { isNotFound } from './fs-errors.js';

/** Opens `path` as a Readable of Buffers that verifies against `digest` at end of stream. */
export function openVerified(path: string, digest: Digest): Readable {
  return Readable.from(verifiedChunks(path, digest), { objectMode: false });
}

async function* verifiedChunks(path: string, digest: Digest): AsyncGenerator<Buffer> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(`open blob ${digest}: not in store`, { cause: err });
    throw err;
  }
  const hash = createHash('sha256');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      // Copy: the consumer may hold on to a chunk while the next read refills `buf`.
      const chunk = Buffer.from(buf.subarray(0, bytesRead));
      hash.update(chunk);
      yield chunk;
    }
  } finally {
    await fh.close();
  }
  verifyDigest(`sha256:${hash.digest('hex')}`, digest, path);
}

/** Throws DigestMismatchError naming the file when `actual` is not `expected`. */
export function verifyDigest(actual: Digest, expected: Digest, where: string): void {
  if (actual !== expected) {
    throw new DigestMismatchError(
      `verify blob ${expected}: content of ${where} hashes to ${actual}; the store was modified, rebuild or re-pull it`,
    );
  }
}
