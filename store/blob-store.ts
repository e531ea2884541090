/**
 * The content-addressed half of the store, as a small interface so one test suite can run
 * against the filesystem store and the in-memory one (test/store/blob-store-suite.ts).
 * Every method takes a validated sha256 Digest; malformed digests are refused
 * (InvalidInputError) before they could ever become a path.
 */
import type { Readable } from 'node:stream';
import { type Digest, InvalidInputError } from '../core/oci/index.js';
import type { IngestWriter } from './ingest-writer.js';

export interface BlobStore {
  /** True when the blob is present (it is not re-verified). */
  hasBlob(d: Digest): Promise<boolean>;
  /**
   * Stores `data` (a string is UTF-8). With `expected`, a mismatch raises
   * DigestMismatchError and stores nothing. Idempotent: storing present content succeeds.
   */
  putBlob(data: Uint8Array | string, expected?: Digest): Promise<{ digest: Digest; size: number }>;
  /** A streaming writer; see IngestWriter for its lifecycle. */
  ingest(): Promise<IngestWriter>;
  /**
   * The blob's bytes. The stream errors with NotFoundError when absent and, at its end, with
   * DigestMismatchError when the bytes do not hash to `d`. The caller consumes or destroys it.
   */
  openBlob(d: Digest): Readable;
  /** The whole blob, verified. NotFoundError when absent. */
  readBlob(d: Digest): Promise<Buffer>;
  /** readBlob + JSON.parse; InvalidInputError when the (verified) blob is not JSON. */
  readJsonBlob<T>(d: Digest): Promise<T>;
  /** Every blob present, sorted by digest. */
  listBlobs(): Promise<{ digest: Digest; size: number }[]>;
  /** Deletes a blob (for gc); true if it was present. */
  removeBlob(d: Digest): Promise<boolean>;
}

/** readJsonBlob's second half, shared by every implementation: JSON.parse of verified bytes. */
export function parseJsonBlob<T>(d: Digest, data: Buffer): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw new InvalidInputError(`parse blob ${d}: not json: ${(err as Error).message}`, { cause: err });
  }
}
