/**
 * Gzip bombs made cheaply: gzip allows members to be concatenated (RFC 1952 2.2) and every
 * reader decompresses them as one stream, so one compressed 64 MiB run of zeros repeated N
 * times is N x 64 MiB uncompressed at ~64 KiB each, without compressing gigabytes in a test.
 */
import { gzipSync } from 'node:zlib';

const RUN = 64 * 2 ** 20;
let zeroRun: Buffer | undefined;

/** gzip members that decompress to `runs` x 64 MiB of zeros. */
export function gzipZeros(runs: number): Buffer {
  zeroRun ??= gzipSync(Buffer.alloc(RUN), { level: 9 });
  return Buffer.concat(Array.from({ length: runs }, () => zeroRun as Buffer));
}

export const ZERO_RUN_BYTES = RUN;

/** A gzip archive: `head` (tar bytes, compressed), then `runs` x 64 MiB of zeros. */
export function gzipBomb(head: Buffer, runs: number): Buffer {
  return Buffer.concat([gzipSync(head), gzipZeros(runs)]);
}
