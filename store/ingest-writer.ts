/**
 * IngestWriter: the one way bytes enter blobs/. Lifecycle:
 *   1. Store.ingest() creates `ingest/<pid>.<start>.<random>` (O_EXCL) and returns a writer;
 *   2. the caller writes to `stream` (the sha256 and size are computed as bytes pass);
 *   2b. optionally digest(): ends the stream and resolves what was written (digest, size)
 *      without publishing, for a caller that checks content before committing anything;
 *      commit() afterwards does not hash again;
 *   3. commit() ends the stream if needed, fsyncs, checks the expected size and digest,
 *      makes the file read-only and renames it to `blobs/sha256/<hex>`, then fsyncs blobs/.
 *      If that blob is already present the ingest file is just dropped: success means "the
 *      content is present", not "this call wrote it". Concurrent commits of the same content
 *      are safe: rename replaces identical bytes with identical bytes.
 *   4. abort() (or any failure, including the stream being destroyed) removes the ingest file. Disk full (ENOSPC/EDQUOT) while
 *      writing or committing raises NoSpaceError and also leaves nothing behind.
 * The caller owns `stream` until commit/abort; after either, the writer is spent.
 */
import { createHash, type Hash } from 'node:crypto';
import { chmod, type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type Digest, DigestMismatchError, digestHex, InternalError } from '../core/oci/index.js';
import { fsyncDir } from './atomic-file.js';
import { isNotFound, mapNoSpace } from './fs-errors.js';
import { exists } from './fs-presence.js';
import { ownedName } from './process-owner.js';

/** Every this many bytes written, writeback of the ingest file is started early. */
const EARLY_SYNC_BYTES = 16 * 2 ** 20;

export interface IngestExpectation {
  digest?: Digest;
  size?: number;
}

export interface IngestWriter {
  /** Takes the blob's bytes; done with a chunk (written and hashed) when its write callback fires. */
  readonly stream: Writable;
  /** Where the bytes are going while in progress (for progress display and debugging). */
  readonly path: string;
  /**
   * Ends the stream and resolves the digest and size of every byte written; publishes
   * nothing (commit or abort still follows). Memoised: calling it again, or commit() after
   * it, reuses the result. A write failure rejects it, as it would commit().
   */
  digest(): Promise<{ digest: Digest; size: number }>;
  commit(expected?: IngestExpectation): Promise<{ digest: Digest; size: number }>;
  abort(): Promise<void>;
}

export class FileIngestWriter implements IngestWriter {
  readonly stream: Writable;
  readonly path: string;
  readonly #blobDir: string;
  #fh: FileHandle | undefined;
  readonly #hash: Hash = createHash('sha256');
  #size = 0;
  #failure: unknown;
  #spent = false;
  #sealed: Promise<{ digest: Digest; size: number }> | undefined;
  /** Bytes written since the last early datasync started, and that sync while it runs. */
  #unsynced = 0;
  #syncing: Promise<void> | undefined;

  private constructor(path: string, fh: FileHandle, blobDir: string) {
    this.path = path;
    this.#fh = fh;
    this.#blobDir = blobDir;
    this.stream = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.#write(chunk).then(
          () => cb(),
          (err) => cb(err as Error),
        );
      },
      // Chunks that queued while a write was under way go down in one write: a document
      // written in 64 KiB pieces (store.ts stageBlobPieces) is then a few writes, not one
      // trip through the thread pool per piece.
      writev: (chunks, cb) => {
        const bufs = chunks.map((c) => c.chunk as Buffer);
        this.#write(bufs.length === 1 ? bufs[0] : Buffer.concat(bufs)).then(
          () => cb(),
          (err) => cb(err as Error),
        );
      },
    });
    // Destroyed before finishing (e.g. pipeline() saw its source fail): the bytes can never
    // be committed, so drop the file now rather than rely on the caller calling abort().
    this.stream.on('close', () => {
      if (!this.stream.writableFinished) void this.#discard().catch(() => {});
    });
  }

  /** Creates a fresh ingest file in `ingestDir` for a blob that will live in `blobDir`. */
  static async create(ingestDir: string, blobDir: string): Promise<FileIngestWriter> {
    const path = join(ingestDir, ownedName());
    let fh: FileHandle;
    try {
      fh = await open(path, 'wx', 0o600);
    } catch (err) {
      throw mapNoSpace(err, 'start ingest');
    }
    return new FileIngestWriter(path, fh, blobDir);
  }

  async #write(chunk: Buffer): Promise<void> {
    const fh = this.#fh;
    if (fh === undefined) throw new InternalError('write ingest: writer already committed or aborted');
    try {
      // A write to a regular file may be partial; loop until every byte is down.
      for (let off = 0; off < chunk.length; ) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
    } catch (err) {
      this.#failure = mapNoSpace(err, `write blob ${this.path}`);
      await this.#discard();
      throw this.#failure;
    }
    this.#hash.update(chunk);
    this.#size += chunk.length;
    this.#unsynced += chunk.length;
    if (this.#unsynced >= EARLY_SYNC_BYTES && this.#syncing === undefined) {
      // Start writeback now, in the background: commit()'s fsync then finds little left to
      // flush. Measured here: fsync of a freshly written 192 MiB file took 0.17-0.23 s, all
      // of it at the end of a pull. Durability is still decided by commit()'s fsync.
      this.#unsynced = 0;
      this.#syncing = fh.datasync().then(
        () => {
          this.#syncing = undefined;
        },
        (err: unknown) => {
          this.#syncing = undefined;
          this.#failure ??= mapNoSpace(err, `write blob ${this.path}`);
        },
      );
    }
  }

  digest(): Promise<{ digest: Digest; size: number }> {
    if (this.#spent)
      return Promise.reject(new InternalError('digest ingest: writer already committed or aborted'));
    this.#sealed ??= (async () => {
      if (this.#failure !== undefined) throw this.#failure;
      if (!this.stream.writableEnded) this.stream.end();
      await finished(this.stream);
      if (this.#failure !== undefined) throw this.#failure;
      return { digest: `sha256:${this.#hash.digest('hex')}` as Digest, size: this.#size };
    })();
    return this.#sealed;
  }

  async commit(expected: IngestExpectation = {}): Promise<{ digest: Digest; size: number }> {
    if (this.#spent) throw new InternalError('commit ingest: writer already committed or aborted');
    const sealing = this.digest();
    this.#spent = true;
    try {
      const { digest, size } = await sealing;
      await this.#syncing;
      if (this.#failure !== undefined) throw this.#failure;
      const fh = this.#fh!;
      await fh.sync();
      this.#fh = undefined;
      await fh.close();
      if (expected.size !== undefined && expected.size !== size) {
        throw new DigestMismatchError(`commit blob: got ${size} bytes, expected ${expected.size}`);
      }
      if (expected.digest !== undefined && expected.digest !== digest) {
        throw new DigestMismatchError(`commit blob: content is ${digest}, expected ${expected.digest}`);
      }
      await this.#publish(digest);
      return { digest, size };
    } catch (err) {
      await this.#discard();
      throw mapNoSpace(this.#failure ?? err, `commit blob ${this.path}`);
    }
  }

  /** Renames the verified ingest file into blobs/, or drops it when the blob is present. */
  async #publish(digest: Digest): Promise<void> {
    const target = join(this.#blobDir, digestHex(digest));
    if (await exists(target)) {
      await unlink(this.path);
      return;
    }
    // Read-only as a reminder that blobs are immutable (root ignores it, tools do not).
    await chmod(this.path, 0o444);
    await rename(this.path, target);
    await fsyncDir(this.#blobDir);
  }

  async abort(): Promise<void> {
    this.#spent = true;
    if (!this.stream.destroyed) this.stream.destroy();
    await this.#discard();
  }

  /** Closes and removes the ingest file; safe to call more than once. */
  async #discard(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close().catch(() => {});
    await unlink(this.path).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  }
}
