/**
 * LayerDownload: one layer pulled in a single pass. Each arriving byte goes both to a store
 * ingest (the compressed blob, kept for later pushes and exports) and through applyLayer
 * into a fresh staging dir, so the layer is never read twice. Nothing becomes visible here:
 * the caller commits the ingest and the staging dir only after every layer checked out, and
 * discard() removes both otherwise. As a BlobSink, a restart (reset) begins both afresh.
 */
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import type { IngestWriter, Store } from '../../store/index.js';
import { type ApplyLayerResult, applyLayer } from '../diff/apply-layer.js';
import type { Digest } from '../oci/digest.js';
import type { BlobSink } from './blob-download.js';

const BATCH = 1 << 20;
const QUEUED = 4 * BATCH;

class Attempt {
  readonly ingest: IngestWriter;
  readonly dir: string;
  // Object mode on the read side: applyLayer's reader gets each batch as it was written. In
  // byte mode an async iterator's read() concatenates everything buffered into one new
  // Buffer (a copy of most of the layer: ~40 ms per 192 MiB in profiles).
  readonly #tar = new PassThrough({
    readableObjectMode: true,
    readableHighWaterMark: 1,
    writableHighWaterMark: BATCH,
  });
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #applying: Promise<ApplyLayerResult>;
  /** Rejects when applyLayer fails, so a write waiting for 'drain' does not hang. */
  readonly #failed: Promise<never>;

  constructor(ingest: IngestWriter, dir: string) {
    this.ingest = ingest;
    this.dir = dir;
    this.#applying = applyLayer(dir, this.#tar);
    this.#failed = this.#applying.then(
      () => new Promise<never>(() => {}),
      (err: unknown) => Promise.reject(err),
    );
    this.#failed.catch(() => {}); // observed through write()/finish()
  }

  /**
   * Takes the next bytes. They are passed on in batches of BATCH bytes: every write to the
   * ingest file and every gunzip step is a hop to libuv's thread pool, and 64 KiB socket
   * chunks made ~3,000 of each per 192 MiB, each waking a pool thread that (on 2 cores)
   * preempts the main thread. One copy per batch is cheaper than that.
   */
  async write(chunk: Buffer): Promise<void> {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= BATCH) await this.flush();
  }

  /** Passes on what write() has batched so far. */
  async flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const parts = this.#pending;
    const batch = parts.length === 1 ? parts[0] : Buffer.concat(parts, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    await Promise.all([this.#writeTo(this.ingest.stream, batch), this.#writeTo(this.#tar, batch)]);
  }

  #writeTo(stream: Writable, chunk: Buffer): Promise<void> {
    if (stream.destroyed)
      return Promise.race([this.#failed, Promise.reject(new Error('write layer: stream closed'))]);
    // Up to QUEUED bytes may wait in each stream (beyond its own highWaterMark): the socket,
    // the ingest write and gunzip + apply then overlap instead of taking turns per batch.
    if (stream.write(chunk) || stream.writableLength < QUEUED) return Promise.resolve();
    return Promise.race([
      this.#failed,
      new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => {
          stream.off('drain', onDrain);
          stream.off('error', done);
          if (err) reject(err);
          else resolve();
        };
        const onDrain = () => done();
        stream.on('drain', onDrain);
        stream.on('error', done);
      }),
    ]);
  }

  async finish(): Promise<ApplyLayerResult> {
    await this.flush();
    this.#tar.end();
    return this.#applying;
  }

  async discard(): Promise<void> {
    this.#tar.destroy();
    await this.#applying.catch(() => {});
    await this.ingest.abort();
    await rm(dirname(this.dir), { recursive: true, force: true });
  }
}

export class LayerDownload implements BlobSink {
  readonly #store: Store;
  #attempt: Attempt;

  private constructor(store: Store, attempt: Attempt) {
    this.#store = store;
    this.#attempt = attempt;
  }

  static async start(store: Store): Promise<LayerDownload> {
    return new LayerDownload(store, await LayerDownload.#fresh(store));
  }

  static async #fresh(store: Store): Promise<Attempt> {
    const ingest = await store.ingest();
    try {
      return new Attempt(ingest, await store.makeStagingDir());
    } catch (err) {
      await ingest.abort();
      throw err;
    }
  }

  /** The ingest holding the compressed bytes; commit it once everything is verified. */
  get ingest(): IngestWriter {
    return this.#attempt.ingest;
  }

  /** The staging diff dir the layer was applied into. */
  get dir(): string {
    return this.#attempt.dir;
  }

  write(chunk: Buffer): Promise<void> {
    return this.#attempt.write(chunk);
  }

  async reset(): Promise<void> {
    await this.#attempt.discard();
    this.#attempt = await LayerDownload.#fresh(this.#store);
  }

  /** The sha256 of the compressed bytes written (the ingest's own hash: no second pass). */
  async digest(): Promise<Digest> {
    await this.#attempt.flush();
    return (await this.#attempt.ingest.digest()).digest;
  }

  /** Ends the tar stream and waits for applyLayer: the diffID and size of what arrived. */
  finish(): Promise<ApplyLayerResult> {
    return this.#attempt.finish();
  }

  /** Removes the ingest file and the staging dir (safe after a partial commit: both are idempotent). */
  discard(): Promise<void> {
    return this.#attempt.discard();
  }
}
