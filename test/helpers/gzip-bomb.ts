/**
 * Gzip bombs made cheaply: gzip allows members to be concatenated (RFC 1952 2.2) and every
 * reader decompresses them as one stream, so one compressed run of zeros repeated N times
 * is N runs uncompressed at a few KiB each, without compressing gigabytes in a test.
 */
import { gzipSync } from 'node:zlib';

export const ZERO_RUN_BYTES = 64 * 2 ** 20;
const runs = new Map<number, Buffer>();

/** gzip members that decompress to `count` x `run` bytes of zeros. */
export function gzipZeros(count: number, run = ZERO_RUN_BYTES): Buffer {
  let one = runs.get(run);
  if (one === undefined) runs.set(run, (one = gzipSync(Buffer.alloc(run), { level: 9 })));
  return Buffer.concat(Array.from({ length: count }, () => one as Buffer));
}

/** A gzip archive: `head` (tar bytes, compressed), then `count` x 64 MiB of zeros. */
export function gzipBomb(head: Buffer, count: number): Buffer {
  return Buffer.concat([gzipSync(head), gzipZeros(count)]);
}
