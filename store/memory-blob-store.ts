/**
 * An in-memory BlobStore with the same contract as the filesystem store's blob half: for
 * tests of code that only needs blobs, and as the second implementation the shared suite
 * (test/store/blob-store-suite.ts) runs against, which keeps the contract honest.
 */
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  type Digest,
  DigestMismatchError,
  InternalError,
  NotFoundError,
  parseDigest,
  sha256,
} from '../core/oci/index.js';
import { type BlobStore, parseJsonBlob } from './blob-store.js';
import type { IngestExpectation, IngestWriter } from './ingest-writer.js';
import { verifyDigest } from './verified-read.js';

export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<Digest, Buffer>();

  async hasBlob(d: Digest): Promise<boolean> {
    return this.#blobs.has(parseDigest(d));
  }

  async putBlob(data: Uint8Array | string, expected?: Digest): Promise<{ digest: Digest; size: number }> {
    const bytes = Buffer.from(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    const digest = sha256(bytes);
    if (expected !== undefined) verifyDigest(digest, parseDigest(expected), 'the data given');
    if (!this.#blobs.has(digest)) this.#blobs.set(digest, bytes);
    return { digest, size: bytes.length };
  }

  async ingest(): Promise<IngestWriter> {
    const chunks: Buffer[] = [];
    const hash = createHash('sha256');
    let spent = false;
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        hash.update(chunk);
        cb();
      },
    });
    const blobs = this.#blobs;
    let sealed: Promise<{ digest: Digest; size: number }> | undefined;
    const seal = () => {
      sealed ??= (async () => {
        if (!stream.writableEnded) stream.end();
        await finished(stream);
        const size = chunks.reduce((n, c) => n + c.length, 0);
        return { digest: `sha256:${hash.digest('hex')}` as Digest, size };
      })();
      return sealed;
    };
    return {
      stream,
      path: 'memory:',
      async digest() {
        if (spent) throw new InternalError('digest ingest: writer already committed or aborted');
        return seal();
      },
      async commit(expected: IngestExpectation = {}) {
        if (spent) throw new InternalError('commit ingest: writer already committed or aborted');
        spent = true;
        const { digest } = await seal();
        const bytes = Buffer.concat(chunks);
        if (expected.size !== undefined && expected.size !== bytes.length) {
          throw new DigestMismatchError(`commit blob: got ${bytes.length} bytes, expected ${expected.size}`);
        }
        if (expected.digest !== undefined && expected.digest !== digest) {
          throw new DigestMismatchError(`commit blob: content is ${digest}, expected ${expected.digest}`);
        }
        if (!blobs.has(digest)) blobs.set(digest, bytes);
        return { digest, size: bytes.length };
      },
      async abort() {
        spent = true;
        stream.destroy();
      },
    };
  }

  openBlob(d: Digest): Readable {
    const blobs = this.#blobs;
    async function* chunks(): AsyncGenerator<Buffer> {
      const data = blobs.get(parseDigest(d));
      if (data === undefined) throw new NotFoundError(`open blob ${d}: not in store`);
      // Two chunks, so consumers see a stream, not a single buffer, as from a file.
      const half = data.length >> 1;
      yield data.subarray(0, half);
      yield data.subarray(half);
      verifyDigest(sha256(data), d, 'memory');
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async readBlob(d: Digest): Promise<Buffer> {
    const data = this.#blobs.get(parseDigest(d));
    if (data === undefined) throw new NotFoundError(`read blob ${d}: not in store`);
    verifyDigest(sha256(data), d, 'memory');
    return Buffer.from(data);
  }

  async readJsonBlob<T>(d: Digest): Promise<T> {
    return parseJsonBlob<T>(d, await this.readBlob(d));
  }

  async listBlobs(): Promise<{ digest: Digest; size: number }[]> {
    return [...this.#blobs]
      .map(([digest, b]) => ({ digest, size: b.length }))
      .sort((a, b) => (a.digest < b.digest ? -1 : 1));
  }

  async removeBlob(d: Digest): Promise<boolean> {
    return this.#blobs.delete(parseDigest(d));
  }

  /** Test hook: replaces a blob's bytes without rehashing, to simulate on-disk tampering. */
  tamperForTest(d: Digest, bytes: Uint8Array): void {
    this.#blobs.set(parseDigest(d), Buffer.from(bytes));
  }
}
