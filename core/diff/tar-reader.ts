/**
 * TarReader: a strict, bounded, pull-based tar parser for untrusted layer tars.
 *
 * Every byte pulled from the source is hashed (the diffID) and counted against `maxBytes`,
 * so a decompression bomb stops at the cap while at most one source chunk plus one PAX
 * header (<= 1 MiB) is in memory. PAX (`x`) and GNU long name/link (`L`/`K`) headers are
 * merged into the entry that follows; global `g` headers are skipped. Sparse and unknown
 * entry types are refused. Truncation anywhere (mid-header, mid-body, or no end-of-archive
 * block) is an InvalidInputError.
 */
import { createHash } from 'node:crypto';
import type { Digest } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import { BLOCK, decodeHeader, type EntryType, isZeroBlock, padding, parsePax } from './tar-header.js';

export interface TarLimits {
  maxBytes: number;
  maxEntries: number;
}

export interface TarEntry {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** `SCHILY.xattr.*` records, raw bytes. */
  xattrs: Map<string, Buffer>;
}

const MAX_META = 1 << 20; // PAX / GNU long-name header bodies
const TYPES: Record<number, EntryType> = {
  0: 'file',
  48: 'file',
  55: 'file', // contiguous file: a regular file everywhere that matters
  49: 'link',
  50: 'symlink',
  51: 'char',
  52: 'block',
  53: 'dir',
  54: 'fifo',
};

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
      throw new InvalidInputError(`read layer tar: more than ${this.#limits.maxBytes} bytes uncompressed`);
    }
    this.#hash.update(chunk);
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    return true;
  }

  async #readExact(n: number, what: string): Promise<Buffer> {
    while (this.#buffered < n) {
      if (!(await this.#pull())) throw new InvalidInputError(`read layer tar: truncated in ${what}`);
    }
    const out = this.#take(n);
    return out.length === n ? out : Buffer.concat([out], n);
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
        throw new InvalidInputError('read layer tar: truncated in entry data');
      const n = Math.min(this.#bodyLeft, this.#chunks[0].length);
      this.#bodyLeft -= n;
      yield this.#take(n);
    }
  }

  async skipBody(): Promise<void> {
    for await (const _ of this.body());
  }

  async #skipPadding(): Promise<void> {
    if (this.#padLeft > 0) await this.#readExact(this.#padLeft, 'entry padding');
    this.#padLeft = 0;
  }

  /** The next entry, or null at the end-of-archive marker. */
  async next(): Promise<TarEntry | null> {
    if (this.#bodyLeft > 0) await this.skipBody();
    await this.#skipPadding();
    let pax = new Map<string, Buffer>();
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const block = await this.#readExact(BLOCK, 'header');
      if (isZeroBlock(block)) return null;
      if (++this.#entries > this.#limits.maxEntries) {
        throw new InvalidInputError(`read layer tar: more than ${this.#limits.maxEntries} entries`);
      }
      const h = decodeHeader(block);
      const flag = h.typeflag;
      if (flag === 0x78 || flag === 0x67 || flag === 0x4c || flag === 0x4b) {
        // x: PAX for the next entry; g: global PAX (ignored); L/K: GNU long name / link.
        if (h.size > MAX_META)
          throw new InvalidInputError(`read layer tar: ${h.size}-byte meta header is too large`);
        const data = await this.#readExact(h.size, 'meta header');
        await this.#readExact(padding(h.size), 'meta header padding');
        if (flag === 0x78) pax = new Map([...pax, ...parsePax(data)]);
        else if (flag === 0x4c) longName = cString(data);
        else if (flag === 0x4b) longLink = cString(data);
        continue;
      }
      const type = TYPES[flag];
      if (type === undefined) {
        const what = flag === 0x53 ? 'GNU sparse' : `type ${JSON.stringify(String.fromCharCode(flag))}`;
        throw new InvalidInputError(
          `read layer tar: ${what} entry ${JSON.stringify(h.name)} is not supported`,
        );
      }
      const num = (k: string, dflt: number): number => {
        const v = pax.get(k);
        if (v === undefined) return dflt;
        const n = Math.floor(Number(v.toString()));
        if (!Number.isSafeInteger(n) || n < 0) throw new InvalidInputError(`read layer tar: bad pax ${k}`);
        return n;
      };
      const xattrs = new Map<string, Buffer>();
      for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice(13), v);
      // Like Go's archive/tar: non-regular entries never carry data, whatever size says.
      const size = type === 'file' ? num('size', h.size) : 0;
      const entry: TarEntry = {
        name: pax.get('path')?.toString() ?? longName ?? h.name,
        type,
        mode: h.mode & 0o7777,
        uid: num('uid', h.uid),
        gid: num('gid', h.gid),
        size,
        mtime: num('mtime', h.mtime),
        linkname: pax.get('linkpath')?.toString() ?? longLink ?? h.linkname,
        devmajor: h.devmajor,
        devminor: h.devminor,
        xattrs,
      };
      this.#bodyLeft = size;
      this.#padLeft = padding(size);
      return entry;
    }
  }

  /** Reads to the end of the source (trailer and any padding), then returns the digest. */
  async finish(): Promise<{ digest: Digest; size: number }> {
    this.#chunks = [];
    this.#buffered = 0;
    while (await this.#pull()) {
      this.#chunks = [];
      this.#buffered = 0;
    }
    return { digest: `sha256:${this.#hash.digest('hex')}`, size: this.#total };
  }
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.toString('utf8', 0, end === -1 ? b.length : end);
}
