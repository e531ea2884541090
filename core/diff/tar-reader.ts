/**
 * TarReader: a strict, bounded, pull-based tar parser for untrusted layer tars.
 *
 * Every byte pulled from the source is hashed (the diffID) and counted against `maxBytes`,
 * so a decompression bomb stops at the cap while at most one source chunk plus one PAX
 * header (<= 1 MiB) is in memory. Headers are read and judged by readEntryHeader, the
 * one validator every reader of outside tars shares. Truncation anywhere (mid-header,
 * mid-body, or no end-of-archive block) is an InvalidInputError.
 */
import { createHash } from 'node:crypto';
import type { Digest } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import { readEntryHeader, type TarEntry } from './read-entry-header.js';
import { padding } from './tar-header.js';

export type { TarEntry } from './read-entry-header.js';

export interface TarLimits {
  maxBytes: number;
  maxEntries: number;
  /** Prefix of error messages (default `read layer tar`). */
  label?: string;
  /** Added to the error when maxBytes is reached (what the cap is, how to raise it). */
  capHint?: string;
  /**
   * Sees, in order, every byte that is not entry data read through body(): headers, meta
   * headers, padding, skipped data, the trailer and anything after it (a tar-split index,
   * see tar-split.ts). The buffers are the reader's own: copy what is kept.
   */
  onRaw?: (bytes: Buffer) => void;
}

export class TarReader {
  readonly #it: AsyncIterator<Buffer>;
  readonly #limits: TarLimits;
  readonly #hash = createHash('sha256');
  #chunks: Buffer[] = [];
  #buffered = 0;
  #total = 0;
  #entries = 0;
  #eof = false;
  #bodyLeft = 0;
  #padLeft = 0;

  constructor(src: AsyncIterable<Buffer>, limits: TarLimits) {
    this.#it = src[Symbol.asyncIterator]();
    this.#limits = limits;
  }

  get #label(): string {
    return this.#limits.label ?? 'read layer tar';
  }

  /** Bytes of the tar consumed so far: after next(), where the entry's data starts. */
  get offset(): number {
    return this.#total - this.#buffered;
  }

  /** Entries returned so far (PAX and other meta headers count too: they cost work). */
  get entries(): number {
    return this.#entries;
  }

  async #pull(): Promise<boolean> {
    if (this.#eof) return false;
    const r = await this.#it.next();
    if (r.done) {
      this.#eof = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    this.#total += chunk.length;
    if (this.#total > this.#limits.maxBytes) {
      const hint = this.#limits.capHint ? `; ${this.#limits.capHint}` : '';
      throw new InvalidInputError(
        `${this.#label}: more than ${this.#limits.maxBytes} bytes uncompressed${hint}`,
      );
    }
    this.#hash.update(chunk);
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    return true;
  }

  async #readExact(n: number, what: string): Promise<Buffer> {
    while (this.#buffered < n) {
      if (!(await this.#pull())) throw new InvalidInputError(`${this.#label}: truncated in ${what}`);
    }
    const took = this.#take(n);
    const out = took.length === n ? took : Buffer.concat([took], n);
    this.#limits.onRaw?.(out);
    return out;
  }

  /** Takes up to n buffered bytes as one Buffer (copying only when it spans chunks). */
  #take(n: number): Buffer {
    const first = this.#chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      return out;
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0 && this.#chunks.length > 0) {
      const c = this.#chunks[0];
      const part = c.length <= need ? (this.#chunks.shift() as Buffer) : c.subarray(0, need);
      if (c.length > need) this.#chunks[0] = c.subarray(need);
      parts.push(part);
      need -= part.length;
    }
    this.#buffered -= n - need;
    return Buffer.concat(parts);
  }

  /** Yields the current entry's data; must be consumed (or skipBody called) before next(). */
  async *body(): AsyncGenerator<Buffer> {
    while (this.#bodyLeft > 0) {
      if (this.#buffered === 0 && !(await this.#pull()))
        throw new InvalidInputError(`${this.#label}: truncated in entry data`);
      const n = Math.min(this.#bodyLeft, this.#chunks[0].length);
      this.#bodyLeft -= n;
      yield this.#take(n);
    }
  }

  async skipBody(): Promise<void> {
    const onRaw = this.#limits.onRaw;
    for await (const chunk of this.body()) onRaw?.(chunk);
  }

  async #skipPadding(): Promise<void> {
    if (this.#padLeft > 0) await this.#readExact(this.#padLeft, 'entry padding');
    this.#padLeft = 0;
  }

  /** The next entry, or null at the end-of-archive marker (see readEntryHeader). */
  async next(): Promise<TarEntry | null> {
    if (this.#bodyLeft > 0) await this.skipBody();
    await this.#skipPadding();
    const got = await readEntryHeader(
      { read: (n, what) => this.#readExact(n, what) },
      {
        maxSize: this.#limits.maxBytes - this.offset,
        label: this.#label,
        ...(this.#limits.capHint ? { capHint: this.#limits.capHint } : {}),
      },
    );
    if (got === null) return null;
    this.#entries += got.headers;
    if (this.#entries > this.#limits.maxEntries) {
      throw new InvalidInputError(`${this.#label}: more than ${this.#limits.maxEntries} entries`);
    }
    this.#bodyLeft = got.entry.size;
    this.#padLeft = padding(got.entry.size);
    return got.entry;
  }

  /** Reads to the end of the source (trailer and any padding), then returns the digest. */
  async finish(): Promise<{ digest: Digest; size: number }> {
    const onRaw = this.#limits.onRaw;
    do {
      if (onRaw) for (const c of this.#chunks) onRaw(c);
      this.#chunks = [];
      this.#buffered = 0;
    } while (await this.#pull());
    return { digest: `sha256:${this.#hash.digest('hex')}`, size: this.#total };
  }
}
