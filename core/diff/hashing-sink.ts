/**
 * Where tar bytes go: a sha256 and an optional Writable, with small writes coalesced into
 * ~1 MiB chunks so 10,000 tiny files do not mean 30,000 stream writes. Honors backpressure
 * on the Writable; an error on it fails the next push. Without `hash` (for a Writable that
 * hashes what it is given itself, as a blob ingest does) the bytes are only passed on.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Digest } from '../oci/digest.js';

const COALESCE = 1 << 20;

export class HashingSink {
  readonly #hash: Hash | undefined;
  readonly #out: Writable | null;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #size = 0;
  #error: Error | null = null;
  readonly #onError = (err: Error): void => {
    this.#error ??= err;
  };

  constructor(out: Writable | null, opts: { hash?: boolean } = {}) {
    this.#hash = opts.hash === false ? undefined : createHash('sha256');
    this.#out = out;
    out?.on('error', this.#onError);
  }

  /** Bytes pushed so far. */
  get size(): number {
    return this.#size + this.#pendingBytes;
  }

  /** Queues small bytes; flushes when ~1 MiB has gathered. */
  async push(buf: Buffer): Promise<void> {
    this.#pending.push(buf);
    this.#pendingBytes += buf.length;
    if (this.#pendingBytes >= COALESCE) await this.flush();
  }

  /** Sends a big chunk straight through (after anything queued), no copy. */
  async pushLarge(buf: Buffer): Promise<void> {
    await this.flush();
    await this.#send(buf);
  }

  async flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const data =
      this.#pending.length === 1 ? this.#pending[0] : Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#send(data);
  }

  async #send(data: Buffer): Promise<void> {
    if (this.#error) throw this.#error;
    this.#hash?.update(data);
    this.#size += data.length;
    const out = this.#out;
    if (out === null || out.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        out.off('drain', onDrain);
        out.off('error', done);
        out.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(this.#error ?? new Error('write layer tar: output closed early'));
      out.on('drain', onDrain);
      out.on('error', done);
      out.on('close', onClose);
    });
  }

  /** Flushes, ends the Writable (if any) and returns the sha256 of everything pushed (unless made without `hash`). */
  async finish(): Promise<{ digest?: Digest; size: number }> {
    await this.flush();
    if (this.#error) throw this.#error;
    this.#out?.end();
    return { digest: this.#hash && `sha256:${this.#hash.digest('hex')}`, size: this.#size };
  }

  /** Stops listening on the Writable; call on every path out. */
  release(): void {
    this.#out?.off('error', this.#onError);
  }
}
