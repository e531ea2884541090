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

const TAB = 9;
const NEWLINE = 10;

/** Below V8's longest string (2^29 - 24 characters), so a document always decodes. */
export const MAX_ROWS_DOCUMENT = 2 ** 29 - 24;

export class SortedRows {
  /** The whole document; rows are the lines after the first `from` characters. */
  readonly text: string;
  readonly count: number;
  readonly #starts: Uint32Array;
  /** The row the last lookup found (the next lookup tries the row after it first). */
  #cursor = -1;

  private constructor(text: string, starts: Uint32Array, count: number) {
    this.text = text;
    this.#starts = starts;
    this.count = count;
  }

  static readonly EMPTY = new SortedRows('', new Uint32Array(0), 0);

  /** Indexes the lines of `text` from offset `from` (the start of the first row). */
  static index(text: string, from: number): SortedRows {
    let starts = new Uint32Array(1024);
    let n = 0;
    for (let pos = from; pos < text.length; ) {
      if (n === starts.length) {
        const grown = new Uint32Array(n * 2);
        grown.set(starts);
        starts = grown;
      }
      starts[n++] = pos;
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      pos = nl + 1;
    }
    return new SortedRows(text, starts, n);
  }

  /** The row holding `key` (escaped), or -1. */
  find(key: string): number {
    // The same row again (a second question about one key), then the next one.
    for (let i = Math.max(this.#cursor, 0); i <= this.#cursor + 1 && i < this.count; i++) {
      if (compareAt(key, this.text, this.#starts[i]) === 0) {
        this.#cursor = i;
        return i;
      }
    }
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareAt(key, this.text, this.#starts[mid]);
      if (c === 0) {
        this.#cursor = mid;
        return mid;
      }
      if (c < 0) hi = mid - 1;
      else lo = mid + 1;
    }
    return -1;
  }

  /** Where row `i` starts (its key). */
  start(i: number): number {
    return this.#starts[i];
  }

  /** Where row `i` ends (its newline, or the end of the text). */
  end(i: number): number {
    if (i + 1 < this.count) return this.#starts[i + 1] - 1;
    const t = this.text;
    return t.charCodeAt(t.length - 1) === NEWLINE ? t.length - 1 : t.length;
  }

  /** Row `i`'s key, still escaped; undefined for a line without a tab. */
  keyAt(i: number): string | undefined {
    const start = this.#starts[i];
    const tab = this.text.indexOf('\t', start);
    return tab < 0 || tab > this.end(i) ? undefined : this.text.slice(start, tab);
  }
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
  const n = s.length - sFrom;
  for (let j = 0; j < n; j++) if (text.charCodeAt(at + j) !== s.charCodeAt(sFrom + j)) return false;
  const after = text.charCodeAt(at + n);
  return after === TAB || after === NEWLINE || at + n === text.length;
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
