/**
 * SortedRows: a text document of lines `key \t fields`, sorted by key, searched in place.
 * The per-file caches of a big COPY (the stat cache, a layer's file list) are read this way:
 * the document stays one flat string, the start of each row sits in a typed array, and a
 * lookup compares characters where they are. No Map, no string and no object per row: at
 * 100,000 files a Map of rows sliced from the text held ~26 MB besides the text, and every
 * garbage collection of the build had 200,000 more objects to mark.
 *
 * Lookups in key order (a walk, a copy) find their row right after the previous one; others
 * binary-search. Rows out of order (a torn or foreign document) can only make a lookup miss,
 * never answer for another key: a hit compares the whole key.
 *
 * Keys may hold any character but NUL; tab, newline and backslash are escaped (escapeKey),
 * and writers sort rows by escaped key with JavaScript's `<`, the order compareAt uses.
 */

import { StringDecoder } from 'node:string_decoder';

const TAB = 9;
const NEWLINE = 10;

/**
 * Rows are held in chunks of whole lines (a document read in pieces: no one string, and no
 * Buffer of the whole file beside it, need exist), each chunk a flat string.
 */
export class SortedRows {
  readonly count: number;
  readonly #chunks: readonly string[];
  /** Offset of each row's first character within its chunk. */
  readonly #starts: Uint32Array;
  /** Each row's chunk. */
  readonly #chunkOf: Uint16Array;
  /** The row the last lookup found (the next lookup tries the row after it first). */
  #cursor = -1;

  private constructor(chunks: readonly string[], starts: Uint32Array, chunkOf: Uint16Array, count: number) {
    this.#chunks = chunks;
    this.#starts = starts;
    this.#chunkOf = chunkOf;
    this.count = count;
  }

  static readonly EMPTY = new SortedRows([], new Uint32Array(0), new Uint16Array(0), 0);

  /** Indexes the lines of `text` from offset `from` (the start of the first row). */
  static index(text: string, from: number): SortedRows {
    return SortedRows.ofChunks([text], from);
  }

  /**
   * Indexes the lines of `chunks` (each ending at a line end, but the last), the first
   * chunk from offset `from`. At most 65,535 chunks.
   */
  static ofChunks(chunks: readonly string[], from: number): SortedRows {
    if (chunks.length > 0xffff) throw new RangeError('SortedRows: too many chunks');
    let starts = new Uint32Array(1024);
    let chunkOf = new Uint16Array(1024);
    let n = 0;
    for (const [c, text] of chunks.entries()) {
      for (let pos = c === 0 ? from : 0; pos < text.length; ) {
        if (n === starts.length) {
          const s2 = new Uint32Array(n * 2);
          s2.set(starts);
          starts = s2;
          const c2 = new Uint16Array(n * 2);
          c2.set(chunkOf);
          chunkOf = c2;
        }
        starts[n] = pos;
        chunkOf[n++] = c;
        const nl = text.indexOf('\n', pos);
        if (nl < 0) break;
        pos = nl + 1;
      }
    }
    return new SortedRows(chunks, starts, chunkOf, n);
  }

  /** The row holding `key` (escaped), or -1. */
  find(key: string): number {
    // The row after the last one found (a walk asks in order), then that row again (a
    // second question about one key): compared by the engine, not character by character.
    for (let i = this.#cursor + 1, tries = 0; tries < 2; i--, tries++) {
      if (i < 0 || i >= this.count || !this.keyIs(i, key)) continue;
      this.#cursor = i;
      return i;
    }
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareAt(key, this.textOf(mid), this.#starts[mid]);
      if (c === 0) {
        this.#cursor = mid;
        return mid;
      }
      if (c < 0) hi = mid - 1;
      else lo = mid + 1;
    }
    return -1;
  }

  /**
   * The first row at or after `from` whose key is not below `key` (escaped), or `count`: where
   * a row for `key` goes. Gallops from `from`, so a merge in key order costs little per row.
   */
  lowerBound(key: string, from = 0): number {
    let lo = from;
    let step = 1;
    let hi = from;
    // Find a row at or past the place, doubling the stride from `from`.
    while (hi < this.count && compareAt(key, this.textOf(hi), this.#starts[hi]) > 0) {
      lo = hi + 1;
      hi += step;
      step *= 2;
    }
    hi = Math.min(hi, this.count);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareAt(key, this.textOf(mid), this.#starts[mid]) > 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** True when row `i`'s key is `key` (escaped). */
  keyIs(i: number, key: string): boolean {
    const text = this.textOf(i);
    const start = this.#starts[i];
    return text.startsWith(key, start) && text.charCodeAt(start + key.length) === TAB;
  }

  /** True when rows `i` and `k` are in one chunk (then lines(i, k + 1) is one slice). */
  sameChunk(i: number, k: number): boolean {
    return this.#chunkOf[i] === this.#chunkOf[k];
  }

  /** Rows `i` to `k - 1` (one chunk), newline-separated, without the last line end. */
  lines(i: number, k: number): string {
    return this.textOf(i).slice(this.#starts[i], this.end(k - 1));
  }

  /** The chunk holding row `i`: start(i) and end(i) are offsets in it. */
  textOf(i: number): string {
    return this.#chunks[this.#chunkOf[i]];
  }

  /** Where row `i` starts (its key). */
  start(i: number): number {
    return this.#starts[i];
  }

  /** Where row `i` ends (its newline, or the end of its chunk). */
  end(i: number): number {
    if (i + 1 < this.count && this.#chunkOf[i + 1] === this.#chunkOf[i]) return this.#starts[i + 1] - 1;
    const t = this.textOf(i);
    return t.charCodeAt(t.length - 1) === NEWLINE ? t.length - 1 : t.length;
  }

  /** Row `i` without its line end. */
  line(i: number): string {
    return this.textOf(i).slice(this.#starts[i], this.end(i));
  }

  /** Row `i`'s key, still escaped; undefined for a line without a tab. */
  keyAt(i: number): string | undefined {
    const text = this.textOf(i);
    const start = this.#starts[i];
    const tab = text.indexOf('\t', start);
    return tab < 0 || tab > this.end(i) ? undefined : text.slice(start, tab);
  }
}

/**
 * Reads a document of lines from `pieces` (bytes, UTF-8) into chunks of whole lines, at most
 * one piece of bytes alive at a time: SortedRows.ofChunks takes the result.
 */
export async function linesInChunks(
  pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<string[]> {
  const decoder = new StringDecoder('utf8');
  const chunks: string[] = [];
  let carry = '';
  for await (const piece of pieces) {
    const text = carry + decoder.write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    const nl = text.lastIndexOf('\n');
    if (nl < 0) {
      carry = text;
      continue;
    }
    chunks.push(text.slice(0, nl + 1));
    carry = text.slice(nl + 1);
  }
  const rest = carry + decoder.end();
  if (rest.length > 0) chunks.push(rest);
  return chunks;
}

/**
 * `key` against the key of the row starting at `start` (it ends at the first tab), in the
 * order of JavaScript's `<` on strings.
 */
export function compareAt(key: string, text: string, start: number): number {
  const n = key.length;
  for (let j = 0; ; j++) {
    const a = j < n ? key.charCodeAt(j) : -1;
    let b = start + j < text.length ? text.charCodeAt(start + j) : -1;
    if (b === TAB || b === NEWLINE) b = -1;
    if (a !== b) return a < b ? -1 : 1;
    if (a === -1) return 0;
  }
}

/** True when `text` holds `s` (from `sFrom` to its end) at `at`, followed by a tab or line end. */
export function fieldEquals(text: string, at: number, s: string, sFrom = 0): boolean {
  // startsWith compares in the engine; a slice of `s` is no copy.
  if (!text.startsWith(sFrom === 0 ? s : s.slice(sFrom), at)) return false;
  const end = at + s.length - sFrom;
  const after = text.charCodeAt(end);
  return after === TAB || after === NEWLINE || end === text.length;
}

export function escapeKey(k: string): string {
  return /[\\\t\n]/.test(k) ? k.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n') : k;
}

export function unescapeKey(k: string): string {
  return k.includes('\\')
    ? k.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c))
    : k;
}

/** Compares two escaped keys as the rows are sorted. */
export function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Lines joined with newlines into pieces of about `chars` characters; the pieces concatenated
 * are the lines joined. The default, 64 Ki, keeps a piece below V8's large-object size (128
 * KiB), so it is made in the young generation and dies there once written. 4 Mi pieces went
 * straight into the old generation and counted toward its next collection: writing a
 * 100,000-file COPY's layer-files list and stat cache (16 MB each) raised the build's peak
 * RSS by ~30 MB.
 */
export function* inPieces(lines: Iterable<string>, chars = PIECE_CHARS): Generator<string> {
  let batch: string[] = [];
  let size = 0;
  let first = true;
  for (const line of lines) {
    batch.push(line);
    size += line.length + 1;
    if (size >= chars) {
      yield (first ? '' : '\n') + batch.join('\n');
      first = false;
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) yield (first ? '' : '\n') + batch.join('\n');
}

/**
 * Characters of a document written (or read) a piece at a time: below V8's large-object size
 * (128 KiB), so a piece is made in the young generation and dies there (see inPieces). The
 * one size for every such document: the stat cache, the layer-files list, a miss's file list.
 */
export const PIECE_CHARS = 64 << 10;
