/**
 * Where tar bytes go: a sha256 and an optional Writable. Small writes are copied into a 1 MiB
 * slab, so 10,000 tiny files mean neither 30,000 stream writes nor 30,000 Buffers, and a
 * small file is read straight into it (reserve/commit). A full slab is hashed and written.
 * Whether it is filled again depends on the output: a Writable that is done with a chunk's
 * bytes when its write callback fires (a file, a blob ingest: `reuse`) gets two slabs in turn,
 * each refilled only once its write has finished; any other (a PassThrough keeps the very
 * Buffer in its readable side until someone reads it) is handed each slab for good, and a new
 * one is made. Without an output the one slab is reused at once.
 *
 * Before, each header and file was a Buffer of its own, queued and then concatenated into a
 * fresh 1 MiB Buffer per write: at 100,000 files ~40 MB of dead Buffers waited for a full
 * collection at the end of a cold COPY. Without `hash` (for a Writable that hashes what it is
 * given itself, as a blob ingest does) the bytes are only passed on. An error on the Writable
 * fails the next push.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Digest } from '../oci/digest.js';

const SLAB = 1 << 20;
/** Bigger pushes go through uncopied (after what the slab holds). */
const COPY_MAX = 64 * 1024;

export class HashingSink {
  readonly #hash: Hash | undefined;
  readonly #out: Writable | null;
  /** The slab being filled, and the other one (its write may still be in flight). */
  #slab: Buffer | undefined;
  #spare: Buffer | undefined;
  #used = 0;
  /** The last write handed to `out`, settled once `out` is done with its bytes. */
  #writing: Promise<void> | undefined;
  #size = 0;
  #error: Error | null = null;
  readonly #onError = (err: Error): void => {
    this.#error ??= err;
  };

  readonly #reuse: boolean;

  /** `reuse`: `out` is done with a chunk's bytes once its write callback fires (see above). */
  constructor(out: Writable | null, opts: { hash?: boolean; reuse?: boolean } = {}) {
    this.#hash = opts.hash === false ? undefined : createHash('sha256');
    this.#out = out;
    this.#reuse = opts.reuse === true;
    out?.on('error', this.#onError);
  }

  /** Bytes pushed so far. */
  get size(): number {
    return this.#size + this.#used;
  }

  /** Copies `buf` in (a big one goes through uncopied: pushLarge). `buf` is free to reuse once this resolves. */
  async push(buf: Buffer): Promise<void> {
    if (buf.length > COPY_MAX) return this.pushLarge(buf);
    if (this.#used + buf.length > SLAB) await this.flush();
    const slab = this.#current();
    buf.copy(slab, this.#used);
    this.#used += buf.length;
  }

  /**
   * Room for exactly `n` bytes (at most 1 MiB), to be filled by the caller and then kept
   * with commit(n); nothing counts until then (a failed fill is simply not committed).
   */
  async reserve(n: number): Promise<Buffer> {
    if (n > SLAB) throw new RangeError(`HashingSink.reserve: ${n} bytes is more than a slab`);
    if (this.#used + n > SLAB) await this.flush();
    return this.#current().subarray(this.#used, this.#used + n);
  }

  /** Keeps the `n` bytes last reserved. */
  commit(n: number): void {
    this.#used += n;
  }

  /** Sends a big chunk straight through (after what the slab holds); resolves once `out` is done with it. */
  async pushLarge(buf: Buffer): Promise<void> {
    await this.flush();
    this.#send(buf);
    await this.#writing;
  }

  /** Sends what the slab holds. */
  async flush(): Promise<void> {
    if (this.#used === 0) return;
    const slab = this.#current();
    const data = slab.subarray(0, this.#used);
    this.#used = 0;
    if (this.#out === null) {
      this.#account(data); // only hashed: the slab is free again at once
      return;
    }
    // The spare slab is filled next: its own write must be over first.
    await this.#writing;
    this.#send(data);
    if (this.#reuse) {
      this.#slab = this.#spare;
      this.#spare = slab;
    } else this.#slab = undefined; // `out` may hold on to it: a new one is made
  }

  #current(): Buffer {
    this.#slab ??= Buffer.allocUnsafe(SLAB);
    return this.#slab;
  }

  #account(data: Buffer): void {
    if (this.#error) throw this.#error;
    this.#hash?.update(data);
    this.#size += data.length;
  }

  /** Hashes `data` and hands it to `out` (writes are taken in order); #writing settles when `out` is done with it. */
  #send(data: Buffer): void {
    this.#account(data);
    const out = this.#out;
    if (out === null) return;
    this.#writing = new Promise<void>((resolve, reject) => {
      out.write(data, (err) => (err ? reject(this.#error ?? err) : resolve()));
    });
    this.#writing.catch(() => {}); // awaited by the next flush, pushLarge or finish
  }

  /** Flushes, ends the Writable (if any) and returns the sha256 of everything pushed (unless made without `hash`). */
  async finish(): Promise<{ digest?: Digest; size: number }> {
    await this.flush();
    await this.#writing;
    if (this.#error) throw this.#error;
    this.#out?.end();
    return { digest: this.#hash && `sha256:${this.#hash.digest('hex')}`, size: this.#size };
  }

  /** Stops listening on the Writable; call on every path out. */
  release(): void {
    this.#out?.off('error', this.#onError);
  }
}
