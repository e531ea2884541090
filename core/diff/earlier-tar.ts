/**
 * EarlierTar: an earlier layer tar read front to back once, so a new layer tar can copy the
 * bytes of entries it shares with it instead of re-reading and re-encoding them.
 *
 * Contract: the file is a tar written by writeLayerTar (sorted, deterministic). Callers ask
 * for entries in increasing tar order (the order writeLayerTar writes them); entries asked
 * for out of order, or missing, are reported as not found and the caller writes them itself.
 * Reads are synchronous and sequential through a 1 MiB window. By default a window is never
 * reused after slices of it went to the sink (a sink with a stream may hold them until
 * written). With `recycle` (only for a sink that hashes and nothing else, whose pushLarge
 * has consumed its bytes when it resolves) one window is reused throughout and small
 * slices are copied: 46 fresh 1 MiB buffers per 46 MB tar meant page faults and
 * external-memory GCs.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { InvalidInputError } from '../oci/errors.js';
import type { HashingSink } from './hashing-sink.js';
import { BLOCK, decodeHeader, isZeroBlock, padding, parsePax } from './tar-header.js';

const WINDOW = 1 << 20;
const MAX_META = 1 << 20;
/** Header bytes of one entry that fit in the window without a refill in practice. */
const LOOKAHEAD = 64 * 1024;

/** Thrown when the earlier tar holds a hard link: its files then share inodes, and copying
 * their bytes cannot tell which path a fresh walk would write first. Callers start over
 * without the earlier tar. */
export class EarlierTarUnusable extends Error {}

interface Span {
  /** Path without a trailing `/`. */
  name: string;
  /** A regular file (typeflag `0`), the only kind that is copied. */
  file: boolean;
  start: number;
  end: number;
}

export class EarlierTar {
  readonly #fd: number;
  #win: Buffer = Buffer.alloc(0);
  #winStart = 0;
  #off = 0;
  #cur: Span | null = null;
  #spanStart = -1;
  #spanEnd = -1;
  /** Entries copied so far. */
  copied = 0;
  /** Bytes read from the file so far (each once, when entries are asked for in order). */
  bytesRead = 0;

  readonly #recycle: boolean;
  #spare: Buffer | undefined;
  /** The window reaches the end of the file. */
  #eof = false;

  readonly #window: number;

  private constructor(fd: number, recycle: boolean, window: number) {
    this.#fd = fd;
    this.#recycle = recycle;
    this.#window = window;
  }

  /**
   * Opens `file`; the caller must close() it. See the file comment for `recycle`; `window`
   * (bytes, a multiple of 512, default 1 MiB) is there so tests can cross windows often.
   */
  static open(file: string, opts: { recycle?: boolean; window?: number } = {}): EarlierTar {
    const t = new EarlierTar(openSync(file, 'r'), opts.recycle ?? false, opts.window ?? WINDOW);
    try {
      t.#advance();
    } catch (err) {
      t.close();
      throw err;
    }
    return t;
  }

  close(): void {
    closeSync(this.#fd);
  }

  /**
   * Queues the earlier tar's bytes of the regular-file entry `name` (PAX header included)
   * for `sink` and returns true; false when the earlier tar has no regular file by that
   * name at this point in the order. Entries before `name` are passed over. Runs of
   * adjacent entries are pushed as one span: call flush() before pushing anything else.
   * The answer is a promise only when bytes had to be pushed to `sink` on the way.
   */
  copy(name: string, sink: HashingSink): boolean | Promise<boolean> {
    // Synchronous unless a queued span must be pushed first: an await per entry (promises
    // and a microtask each) adds up over 10,000 entries, in a loop that runs once per build
    // and so mostly in the interpreter. `!==` first for the same reason: the entry asked for
    // is nearly always the next one, and comparePaths walks equal names char by char.
    while (this.#cur !== null && this.#cur.name !== name && comparePaths(this.#cur.name, name) < 0) {
      if (this.#mustPush()) return this.#copyAsync(name, sink);
      this.#advance();
    }
    const cur = this.#cur;
    if (cur === null || cur.name !== name || !cur.file) return false;
    if (cur.start !== this.#spanEnd) {
      if (this.#spanEnd >= 0) return this.#copyAsync(name, sink);
      this.#spanStart = cur.start;
    }
    this.#spanEnd = cur.end;
    this.copied++;
    if (this.#mustPush()) return this.#next(sink).then(() => true);
    this.#advance();
    return true;
  }

  /** copy() when the queued span must be pushed on the way. */
  async #copyAsync(name: string, sink: HashingSink): Promise<boolean> {
    while (this.#cur !== null && comparePaths(this.#cur.name, name) < 0) await this.#next(sink);
    const cur = this.#cur;
    if (cur === null || cur.name !== name || !cur.file) return false;
    if (cur.start !== this.#spanEnd) {
      await this.flush(sink);
      this.#spanStart = cur.start;
    }
    this.#spanEnd = cur.end;
    this.copied++;
    await this.#next(sink);
    return true;
  }

  /**
   * Moves to the next entry. When its headers (PAX included) may reach past the window, the
   * queued span is pushed first: flushing after the window has moved on would read those
   * bytes a second time.
   */
  async #next(sink: HashingSink): Promise<void> {
    if (this.#mustPush()) await this.flush(sink);
    this.#advance();
  }

  /** Whether the queued span must be pushed before moving on (see #next). */
  #mustPush(): boolean {
    return this.#spanEnd >= 0 && this.#off + LOOKAHEAD > this.#winStart + this.#win.length;
  }

  /** Pushes the queued span. Window-sized slices go through uncopied. */
  async flush(sink: HashingSink): Promise<void> {
    for (let a = this.#spanStart; a < this.#spanEnd; ) {
      const piece = this.#piece(a, this.#spanEnd);
      a += piece.length;
      if (piece.length >= 64 * 1024) await sink.pushLarge(piece);
      else await sink.push(piece); // copied into the sink: the window may be recycled
    }
    this.#spanStart = this.#spanEnd = -1;
  }

  /** Bytes from `a` (up to `b`) that the window holds, refilling it at `a` when needed. */
  #piece(a: number, b: number): Buffer {
    if (a < this.#winStart || a >= this.#winStart + this.#win.length) this.#fill(a);
    const from = a - this.#winStart;
    return this.#win.subarray(from, Math.min(this.#win.length, b - this.#winStart));
  }

  /** Makes the window start at `a`, moving over what the old one already holds from there. */
  #fill(a: number): void {
    const old = this.#win;
    const keepFrom = a - this.#winStart;
    // A fresh buffer unless recycling: slices of the old one may still sit in the sink.
    const buf = (this.#recycle && this.#spare) || Buffer.allocUnsafe(this.#window);
    if (this.#recycle) this.#spare = buf;
    let n = 0;
    if (keepFrom >= 0 && keepFrom < old.length) {
      const same = old.buffer === buf.buffer && old.byteOffset === buf.byteOffset;
      n = old.length - keepFrom;
      if (same) buf.copyWithin(0, keepFrom, old.length);
      else old.copy(buf, 0, keepFrom, old.length);
    }
    while (n < buf.length) {
      const r = readSync(this.#fd, buf, n, buf.length - n, a + n);
      if (r === 0) break;
      n += r;
      this.bytesRead += r;
    }
    if (n === 0) throw new InvalidInputError('read earlier layer tar: truncated');
    this.#win = buf.subarray(0, n);
    this.#winStart = a;
    this.#eof = n < buf.length;
  }

  /** Exactly `n` bytes at `a` (copied only when they span two windows). */
  #bytes(a: number, n: number): Buffer {
    const first = this.#piece(a, a + n);
    if (first.length === n) return first;
    const parts: Buffer[] = [Buffer.from(first)]; // the refill below may reuse first's memory
    let got = first.length;
    while (got < n) {
      const p = this.#piece(a + got, a + n);
      parts.push(p);
      got += p.length;
    }
    return Buffer.concat(parts, n);
  }

  /** Parses the entry at #off into #cur (null at the end-of-archive block). */
  #advance(): void {
    const start = this.#off;
    // Start the window at this entry when its headers may not fit in it: the entry's
    // bytes are then pushed from this window without reading them again.
    const end = this.#winStart + this.#win.length;
    if (start < this.#winStart || (start + LOOKAHEAD > end && !this.#eof)) this.#fill(start);
    let off = start;
    let paxPath: string | undefined;
    let longName: string | undefined;
    let paxSize: number | undefined;
    for (;;) {
      // Read in place when the window holds the block: a subarray per entry was an object
      // per entry for the collector.
      const inWindow = off >= this.#winStart && off + BLOCK <= this.#winStart + this.#win.length;
      const block = inWindow ? this.#win : this.#bytes(off, BLOCK);
      const at = inWindow ? off - this.#winStart : 0;
      if (block[at] === 0 && isZeroBlock(block.subarray(at, at + BLOCK))) {
        this.#cur = null;
        return;
      }
      const h = quickHeader(block, at);
      off += BLOCK;
      const flag = h.typeflag;
      if (flag === 0x78 || flag === 0x67 || flag === 0x4c || flag === 0x4b) {
        if (h.size > MAX_META) throw new InvalidInputError('read earlier layer tar: meta header too large');
        const data = this.#bytes(off, h.size);
        off += h.size + padding(h.size);
        if (flag === 0x78) {
          const pax = parsePax(data);
          paxPath = pax.get('path')?.toString() ?? paxPath;
          const s = pax.get('size');
          if (s !== undefined) paxSize = Number(s.toString());
        } else if (flag === 0x4c) longName = data.toString('utf8').replace(/\0.*$/s, '');
        continue;
      }
      if (flag === 0x31) throw new EarlierTarUnusable('earlier layer tar holds a hard link');
      const file = flag === 0x30 || flag === 0;
      const size = file ? (paxSize ?? h.size) : 0;
      off += size + padding(size);
      const raw = paxPath ?? longName ?? h.name;
      const name = raw.charCodeAt(raw.length - 1) === 0x2f ? raw.replace(/\/+$/, '') : raw;
      this.#cur = { name, file, start, end: off };
      this.#off = off;
      return;
    }
  }
}

/**
 * The order writeLayerTar writes paths in: component by component, each compared bytewise
 * (a parent before its children, `a/b` before `a-b`).
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 0x2f) return -1;
    if (y === 0x2f) return 1;
    // UTF-16 order equals UTF-8 byte order except around surrogates; go to bytes only then.
    if (x >= 0xd800 || y >= 0xd800) return Buffer.compare(Buffer.from(a.slice(i)), Buffer.from(b.slice(i)));
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Name, type and size of a header block. decodeHeader's checksum and general field parsing
 * (a string and two regexes per number) were ~100 ms over 10,000 headers; this reads only
 * what splicing needs, from a blob that was verified when it was written (a torn or wrong
 * header shows as a name that matches nothing, and the entry is then written afresh).
 * Unusual encodings (base-256) go to decodeHeader.
 */
function quickHeader(b: Buffer, at: number): { name: string; typeflag: number; size: number } {
  if (b[at + 124] & 0x80) {
    const h = decodeHeader(b.subarray(at, at + BLOCK));
    return { name: h.name, typeflag: h.typeflag, size: h.size };
  }
  let name = cString(b, at, 100);
  if (b[at + 345] !== 0 && b.toString('latin1', at + 257, at + 263) === 'ustar\u0000')
    name = `${cString(b, at + 345, 155)}/${name}`;
  return { name, typeflag: b[at + 156], size: octal(b, at + 124, 12) };
}

function cString(b: Buffer, off: number, len: number): string {
  let end = off;
  let high = 0;
  while (end < off + len && b[end] !== 0) high |= b[end++];
  // ASCII decodes to the same string as latin1, which V8 builds much faster than utf8.
  return b.toString(high < 0x80 ? 'latin1' : 'utf8', off, end);
}

function octal(b: Buffer, off: number, len: number): number {
  const end = off + len;
  let i = off;
  while (i < end && b[i] === 0x20) i++;
  let v = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) throw new InvalidInputError('read earlier layer tar: bad octal field');
    v = v * 8 + (c - 0x30);
  }
  return v;
}
