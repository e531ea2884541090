/**
 * LayerFiles: what a COPY layer remembers about its regular files (a blob the cache record
 * names), so the next run of the same step can link unchanged files from it and copy their
 * tar entries from a kept tar.
 *
 * Format (version 3, text): a first line `strata-layer-files v3 \t <kept tar digest | ->`,
 * then one row per regular file, `target \t digest-hex \t mtime \t fromTar`, sorted by
 * target (escaped and ordered as core/cache/sorted-rows.ts says). `mtime` is the entry's
 * (seconds, as JavaScript prints the number); `fromTar` is 1 when the file at `target` is
 * the very inode the kept tar (an uncompressed layer tar, digest = its diffID) was written
 * from: linked unchanged through any number of rebuilds since.
 *
 * Read in place, like the stat cache: a 100,000-file list is one string and a row index,
 * where version 2's JSON (`{ v: 2, tar?, files: [target, digest, mtime, fromTar][] }`, still
 * read) parsed into 100,000 arrays, 200,000 strings and a Map (~40 MB). Version 1 (bare
 * `[target, digest]` pairs) reuses nothing: it did not record mtimes.
 */
import { byKey, escapeKey, fieldEquals, inPieces, SortedRows } from '../cache/sorted-rows.js';
import type { FileEntry } from '../fs/file-entry.js';
import { type Digest, isDigest } from '../oci/digest.js';

const HEADER = 'strata-layer-files v3';
const DIGEST_PREFIX = 'sha256:'.length;

/** The rows of one COPY as it writes them; serialize() makes the blob. */
export class LayerFilesWriter {
  // Three parallel lists rather than an array per row: the strings are the ones the copy
  // holds anyway, and a number list of mtimes is one unboxed array.
  readonly #targets: string[] = [];
  readonly #digests: string[] = [];
  readonly #mtimes: number[] = [];

  get count(): number {
    return this.#targets.length;
  }

  add(target: string, digest: string, mtime: number): void {
    this.#targets.push(target);
    this.#digests.push(digest);
    this.#mtimes.push(mtime);
  }

  /**
   * The blob text. `tar` is the kept tar; `fromTar` says which targets are inodes it was
   * written from: every one, or these, in the order they were added (one merged pass finds
   * them, the very same strings, instead of a set of every target; a target not found in
   * order is only left unflagged, and the next rebuild then writes that entry afresh).
   */
  serialize(tar: Digest | undefined, fromTar: 'all' | readonly string[]): string {
    return [...this.pieces(tar, fromTar, Number.POSITIVE_INFINITY)].join('');
  }

  /** serialize()'s text in pieces of about `chars` characters, made as they are written. */
  pieces(tar: Digest | undefined, fromTar: 'all' | readonly string[], chars?: number): Generator<string> {
    return inPieces(this.#lines(tar, fromTar), chars);
  }

  *#lines(tar: Digest | undefined, fromTar: 'all' | readonly string[]): Generator<string> {
    const n = this.#targets.length;
    const flags = new Uint8Array(n);
    if (fromTar === 'all') flags.fill(1);
    else {
      for (let i = 0, j = 0; i < n && j < fromTar.length; i++) {
        if (this.#targets[i] === fromTar[j]) {
          flags[i] = 1;
          j++;
        }
      }
    }
    const keys = this.#targets.map(escapeKey);
    // A copy writes in walk order, which is usually sorted already.
    let order: number[] | undefined;
    if (keys.some((k, i) => i > 0 && byKey(keys[i - 1], k) > 0)) {
      order = keys.map((_, i) => i);
      order.sort((a, b) => byKey(keys[a], keys[b]));
    }
    yield `${HEADER}\t${tar ?? '-'}`;
    for (let k = 0; k < n; k++) {
      const i = order === undefined ? k : order[k];
      yield [keys[i], this.#digests[i].slice(DIGEST_PREFIX), this.#mtimes[i], flags[i]].join('\t');
    }
  }
}

/** The previous result of a COPY step, as far as linking and tar copying need it. */
export class PreviousFiles {
  #rows: SortedRows;
  readonly #diffDir: string;
  readonly #sde: number | undefined;
  /** The kept tar whose inodes the `fromTar` rows are, if any. */
  readonly tar: Digest | undefined;

  /** `blob` as stored (any version); `diffDir` is the previous layer's diff dir. */
  constructor(blob: Uint8Array, diffDir: string, sde: number | undefined) {
    this.#diffDir = diffDir;
    this.#sde = sde;
    const doc = readDoc(blob);
    this.#rows = doc?.rows ?? SortedRows.EMPTY;
    this.tar = doc?.tar;
  }

  /** Targets reuse() answered whose file is an inode of `tar`, in the order it answered them. */
  readonly #fromTarAnswers: string[] = [];
  /** How many times reuse() answered with a file. */
  #answers = 0;

  /**
   * The previous layer's file to hard-link for `target`, when it has the same content and
   * the mtime this copy would write (owner and mode are the same operation's). No stat: a
   * layer's files are immutable, and a path that is gone fails the link (then it is copied).
   * Whether the file is an inode of the kept tar is noted in the same lookup (linkedFromTar).
   */
  reuse(target: string, e: FileEntry): string | undefined {
    if (e.digest === undefined) return undefined;
    const key = escapeKey(target);
    const rows = this.#rows;
    const i = rows.find(key);
    if (i < 0) return undefined;
    const text = rows.textOf(i);
    const at = rows.start(i) + key.length + 1;
    if (!fieldEquals(text, at, e.digest, DIGEST_PREFIX)) return undefined;
    const sde = this.#sde;
    const mtime = String(sde !== undefined && e.mtime > sde ? sde : e.mtime);
    if (!fieldEquals(text, at + e.digest.length - DIGEST_PREFIX + 1, mtime)) return undefined;
    this.#answers++;
    if (this.tar !== undefined) {
      const end = rows.end(i);
      if (text.charCodeAt(end - 1) === 0x31 && text.charCodeAt(end - 2) === 9)
        this.#fromTarAnswers.push(target);
    }
    return this.#diffDir + target;
  }

  /**
   * The copy is over: no more reuse() (it answers nothing now). Lets go of the previous
   * list's text (~11 MB at 100,000 files) while the layer is measured; linkedFromTar and
   * `tar` still answer.
   */
  doneReusing(): void {
    this.#rows = SortedRows.EMPTY;
  }

  /**
   * Of `linked` (targets reuse() answered, each asked once, whose links were made), those
   * whose file is an inode of `tar`, in the order reuse() answered them. The usual case,
   * every answer linked, is the list as noted: no lookup per file again.
   */
  linkedFromTar(linked: readonly string[]): readonly string[] {
    if (linked.length === this.#answers) return this.#fromTarAnswers;
    const made = new Set(linked);
    return this.#fromTarAnswers.filter((t) => made.has(t));
  }
}

/**
 * The kept layer tar a layer-files blob (any version) names, if any: gc keeps it alive while
 * the record that names the blob lives.
 */
export function keptTarOf(blob: Uint8Array | undefined): Digest | undefined {
  return blob === undefined ? undefined : readDoc(blob, true)?.tar;
}

/** A blob of any version as rows; undefined for one that reuses nothing (v1, foreign, torn). */
function readDoc(blob: Uint8Array, headerOnly = false): { tar?: Digest; rows: SortedRows } | undefined {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (bytes[0] === 0x7b /* { */) return fromJson(bytes, headerOnly);
  const nl = bytes.indexOf(0x0a);
  const first = bytes.toString('utf8', 0, nl < 0 ? bytes.length : nl).split('\t');
  if (first[0] !== HEADER || first.length !== 2) return undefined;
  const tar = isDigest(first[1]) ? first[1] : undefined;
  if (headerOnly || nl < 0) return { tar, rows: SortedRows.EMPTY };
  const text = bytes.toString('utf8');
  return { tar, rows: SortedRows.index(text, nl + 1) };
}

/** Version 2 (JSON), rewritten as version 3 rows. */
function fromJson(bytes: Buffer, headerOnly: boolean): { tar?: Digest; rows: SortedRows } | undefined {
  let d: { v?: unknown; tar?: unknown; files?: unknown };
  try {
    d = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (d === null || typeof d !== 'object' || d.v !== 2 || !Array.isArray(d.files)) return undefined;
  const tar = typeof d.tar === 'string' && isDigest(d.tar) ? d.tar : undefined;
  if (headerOnly) return { tar, rows: SortedRows.EMPTY };
  const w = new LayerFilesWriter();
  const fromTar: string[] = [];
  for (const row of d.files as unknown[]) {
    if (!Array.isArray(row) || typeof row[0] !== 'string' || typeof row[1] !== 'string') continue;
    if (typeof row[2] !== 'number' || !isDigest(row[1])) continue;
    w.add(row[0], row[1], row[2]);
    if (row[3] === 1) fromTar.push(row[0]);
  }
  const text = w.serialize(tar, fromTar);
  return { tar, rows: SortedRows.index(text, text.indexOf('\n') + 1 || text.length) };
}
