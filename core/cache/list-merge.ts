/**
 * A COPY miss explained while its file list is written out: the new list, a piece at a
 * time as it is made, is merged with the previous list, as it is read from its blob.
 * Neither list is ever one string: a 100,000-file list is ~16 MB, and the new one, the old
 * one and the old one's bytes were ~50 MB of the heap at the end of planning, the build's
 * peak.
 *
 * Both lists are `[row,row,...]` with rows in path order (the walk sorts a match's entries).
 * A piece of the new list (its bytes, as they are written out) that is the very bytes at
 * the same place in the old list is passed over with one comparison; only a piece that
 * differs is compared row by row, and only rows that differ are parsed. Rows that differ
 * must be in strictly rising path order on both sides (as explain-miss.ts mergeChanges
 * asks of the rows between two lists' common start and end); when they are not (several
 * sources, or a list of another shape) the merge gives up, `result()` is undefined, and the
 * caller compares the two lists whole, the slower way that does not depend on order.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';
import { changedAttrs, type FileChange, type FileEntry, rowPath } from './explain-miss.js';
import { PIECE_CHARS } from './sorted-rows.js';

const ROW_DELIMITER = Buffer.from('},{"path":');
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;

function parseRow(row: string): FileEntry | undefined {
  try {
    const r = JSON.parse(row) as FileEntry;
    return typeof r.path === 'string' && typeof r.digest === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bytes of the old list, read as they are needed. `#off` is always at a separator: the
 * `[` before the first row, the `,` before the next, or the closing `]`. `},{"path":` cannot
 * occur inside a JSON string (its quote would end the string), so it always separates two
 * rows; in UTF-8 no byte of a multi-byte character is ASCII, so searching the bytes is safe.
 */
class OldList {
  readonly #stream: Readable;
  readonly #chunks: AsyncIterator<Buffer>;
  #buf: Buffer = Buffer.alloc(0);
  #off = 0;
  #done = false;
  /** Not such a list, or not readable (verified) to its end. */
  bad = false;

  constructor(stream: Readable) {
    this.#stream = stream;
    this.#chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Reads until `n` bytes from the separator at hand are here, or the list is over. */
  async need(n: number): Promise<void> {
    while (!this.#done && this.#buf.length - this.#off < n) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.#chunks.next();
      } catch {
        this.#fail();
        return;
      }
      if (r.done) this.#done = true;
      else {
        this.#buf =
          this.#off === this.#buf.length ? r.value : Buffer.concat([this.#buf.subarray(this.#off), r.value]);
        this.#off = 0;
      }
    }
  }

  /**
   * Whether `piece` (a separator, rows, and the closing `]` when `last`) is the old list's
   * bytes here, ending where a row ends; if so they are passed over. Call need() first.
   */
  skip(piece: Buffer, last: boolean): boolean {
    const b = this.#buf;
    const end = this.#off + piece.length;
    if (end > b.length || b.compare(piece, 0, piece.length, this.#off, end) !== 0) return false;
    if (last ? !(this.#done && end === b.length) : b[end] !== COMMA) return false;
    this.#off = end;
    return true;
  }

  /** The next row (without its separator), undefined at the end; reads as needed. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const b = this.#buf;
      if (this.bad || this.#off >= b.length) {
        if (this.#done || this.bad) return undefined;
        await this.need(1);
        continue;
      }
      const sep = b[this.#off];
      if (sep === CLOSE) return undefined;
      if (sep !== COMMA && sep !== OPEN) {
        this.#fail();
        return undefined;
      }
      const at = b.indexOf(ROW_DELIMITER, this.#off + 1);
      if (at >= 0) {
        const row = b.toString('utf8', this.#off + 1, at + 1);
        this.#off = at + 1;
        return row;
      }
      if (!this.#done) {
        await this.need(b.length - this.#off + 1);
        continue;
      }
      // The last row: the rest is `{...}]`, or `]` after `[` for an empty list.
      if (sep === OPEN && b.length - this.#off === 2 && b[this.#off + 1] === CLOSE) {
        this.#off++;
        return undefined;
      }
      if (b.length - this.#off < 3 || b[b.length - 1] !== CLOSE || b[b.length - 2] !== 0x7d) {
        this.#fail();
        return undefined;
      }
      const row = b.toString('utf8', this.#off + 1, b.length - 1);
      this.#off = b.length - 1;
      return row;
    }
  }

  /** Reads what is left: nothing after the `]` at hand, or after a last piece passed over. */
  async end(): Promise<void> {
    await this.need(Number.POSITIVE_INFINITY);
    const rest = this.#buf.length - this.#off;
    if (!this.bad && rest !== 0 && !(rest === 1 && this.#buf[this.#off] === CLOSE)) this.#fail();
  }

  /** Stops reading (the stream is closed). */
  close(): void {
    this.#stream.destroy();
  }

  #fail(): void {
    this.#stream.destroy();
    this.bad = true;
    this.#done = true;
  }
}

/** Merges the previous list (a stream) with the new one, given a piece at a time in order. */
export class ListMerge {
  readonly #old: OldList;
  readonly #changed: FileChange[] = [];
  readonly #removed: FileChange[] = [];
  /** The old row read but not yet matched, with its path. */
  #pending: { row: string; path: string } | undefined;
  #lastOld: string | undefined;
  #lastNew: string | undefined;
  #gaveUp = false;

  constructor(oldList: Readable) {
    this.#old = new OldList(oldList);
  }

  /**
   * Merges the next piece of the new list: `bytes` as written (a separator, the rows joined
   * with `,`, and `]` when `last`), and its rows.
   */
  async piece(bytes: Buffer, rows: readonly string[], last: boolean): Promise<void> {
    const old = this.#old;
    if (this.#gaveUp || old.bad) return;
    if (this.#pending === undefined) {
      await old.need(bytes.length + 1);
      if (old.skip(bytes, last)) {
        // Identical rows say nothing of order: the next rows that differ are checked afresh.
        this.#lastOld = this.#lastNew = undefined;
        return;
      }
    }
    for (const row of rows) {
      await this.#row(row);
      if (this.#gaveUp) return;
    }
  }

  /** Stops reading the old list (the new one could not be written). */
  close(): void {
    this.#old.close();
  }

  /**
   * After the last piece: the old rows left were removed. The changes, as explain-miss.ts
   * gives them (changed and added in list order, then removed), or undefined when the lists
   * could not be merged in order (or the old one not read).
   */
  async result(): Promise<FileChange[] | undefined> {
    const old = this.#old;
    while (!this.#gaveUp && !old.bad) {
      const a = await this.#peekOld();
      if (a === undefined) break;
      this.#pending = undefined;
      this.#remove(a.path, a.row);
    }
    // Read to the end: the blob is verified against its digest only there (and its file is
    // closed then).
    if (!this.#gaveUp) await old.end();
    if (this.#gaveUp || old.bad) {
      old.close();
      return undefined;
    }
    return [...this.#changed, ...this.#removed];
  }

  async #row(row: string): Promise<void> {
    const path = rowPath(row);
    if (path === undefined || (this.#lastNew !== undefined && !(this.#lastNew < path))) {
      this.#gaveUp = true;
      return;
    }
    this.#lastNew = path;
    for (;;) {
      const a = await this.#peekOld();
      if (this.#gaveUp || this.#old.bad) return;
      if (a === undefined) {
        this.#added(path, row);
        return;
      }
      if (a.path === path) {
        this.#pending = undefined;
        if (a.row !== row) this.#change(path, a.row, row);
        return;
      }
      if (a.path > path) {
        this.#added(path, row);
        return;
      }
      this.#pending = undefined;
      this.#remove(a.path, a.row);
    }
  }

  /** The old row at hand (read if none is), its path checked to rise. */
  async #peekOld(): Promise<{ row: string; path: string } | undefined> {
    if (this.#pending !== undefined) return this.#pending;
    const row = await this.#old.next();
    if (row === undefined) return undefined;
    const path = rowPath(row);
    if (path === undefined || (this.#lastOld !== undefined && !(this.#lastOld < path))) {
      this.#gaveUp = true;
      return undefined;
    }
    this.#lastOld = path;
    this.#pending = { row, path };
    return this.#pending;
  }

  #change(path: string, oldRow: string, newRow: string): void {
    const o = parseRow(oldRow);
    const n = parseRow(newRow);
    if (o === undefined || n === undefined) this.#gaveUp = true;
    else if (o.digest !== n.digest)
      this.#changed.push({ path, kind: 'changed', from: o.digest, to: n.digest, attrs: changedAttrs(o, n) });
  }

  #added(path: string, row: string): void {
    const n = parseRow(row);
    if (n === undefined) this.#gaveUp = true;
    else this.#changed.push({ path, kind: 'added', to: n.digest });
  }

  #remove(path: string, row: string): void {
    const o = parseRow(row);
    if (o === undefined) this.#gaveUp = true;
    else this.#removed.push({ path, kind: 'removed', from: o.digest as Digest });
  }
}

/**
 * The JSON list (`[row,row,...]`, as JSON.stringify writes the rows' objects) in pieces of
 * ~64 KiB, made from `rows` as they come and merged with `merge` on their way out.
 * `written.rows` counts the rows.
 */
export async function* listPieces(
  rows: Iterable<string>,
  merge: ListMerge | undefined,
  written: { rows: number },
): AsyncGenerator<Buffer> {
  let parts: string[] = [];
  let chars = 0;
  let first = true;
  const flush = async (last: boolean): Promise<Buffer> => {
    const body = parts.join(',');
    const bytes = Buffer.from(`${first ? '[' : ','}${body}${last ? ']' : ''}`, 'utf8');
    await merge?.piece(bytes, parts, last);
    first = false;
    parts = [];
    chars = 0;
    return bytes;
  };
  for (const row of rows) {
    written.rows++;
    parts.push(row);
    chars += row.length + 1;
    if (chars >= PIECE_CHARS) yield await flush(false);
  }
  yield await flush(true);
}
