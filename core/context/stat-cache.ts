/**
 * The stat cache: (host path, inode, size, mtime, ctime) -> entry digest, so an
 * unchanged rebuild never re-reads a file. ctime is part of the key on purpose: BuildKit's
 * transfer compares only size and mtime, so a same-size edit that kept the mtime
 * (`touch -r`, checkouts, some editors) is missed there; ctime cannot be set from user
 * space, so any write, chmod, chown or xattr change moves it. That is also why the whole
 * entry digest (header fields and content) can be cached under this key.
 *
 * Persisted through the store's meta files, one document per source root, as text lines
 * `path \t ino:mtime:ctime \t size \t digest-hex \t fingerprint`, sorted by path (the
 * fingerprint: short hashes of the content and of the kept xattrs, so a later miss can say
 * which of them changed even for a file this build did not read). Written only when
 * something changed, and for a big document only when enough changed (#worthWriting).
 *
 * Memory: the loaded document is searched in place (core/cache/sorted-rows.ts): no Map,
 * string or object per row. Rows this build recorded are held as references to their
 * entries, which the build holds anyway.
 */
import { createHash } from 'node:crypto';
import {
  byKey,
  escapeKey,
  fieldEquals,
  inPieces,
  linesInChunks,
  SortedRows,
  unescapeKey,
} from '../cache/sorted-rows.js';
import type { FileEntry } from '../fs/file-entry.js';
import type { Digest } from '../oci/digest.js';

/** The store surface the cache needs (store/Store implements it). */
export interface MetaStore {
  readMeta(name: string): Promise<Uint8Array | undefined>;
  writeMeta(name: string, data: string): Promise<void>;
  /**
   * writeMeta of a document given in pieces, when the store can write it so: a stat cache of
   * 1,000,000 rows is ~170 MB, and one string of it (beside its rows) is what a save held.
   */
  writeMetaPieces?(name: string, pieces: Iterable<string>): Promise<void>;
  /**
   * The meta file in pieces, when the store can read it so (then a big cache never exists
   * as one Buffer beside its text: 160 MB each at 1,000,000 files); undefined when absent.
   */
  readMetaPieces?(name: string): Promise<AsyncIterable<Uint8Array> | undefined>;
}

// v6: rows sorted by path (v5 kept them in insertion order, so it is not read).
const HEADER = 'strata-statcache v6';
const TAB = 9;
/** Characters of loaded rows a save passes on as one slice (see #loaded). */
const RUN_CHARS = 32 << 10;
/** `\t` + 64 hex digits + `\t`: the digest field and its separators. */
const HEX_FIELD = 66;
/**
 * A loaded document of at least this many rows is rewritten only when this build's news are
 * worth it (see #worthWriting): at 10,000 rows a rewrite for one edited file was 10-20 ms of
 * a 400 ms rebuild, and hashing that file again next time takes microseconds.
 */
const REWRITE_MIN_ROWS = 1_000;
/** ... when the files hashed anew hold more than this much content, */
const REWRITE_FRESH_BYTES = 1 << 20;
/** ... or are more than one in this many of the loaded rows (so are the rows not found). */
const REWRITE_FRACTION = 100;

export class StatCache {
  readonly #store: MetaStore | undefined;
  readonly #name: string;
  /** The rows as loaded. */
  #rows = SortedRows.EMPTY;
  /** Rows recorded by this build, by host path: the entry, with its digest and fingerprint set. */
  readonly #fresh = new Map<string, FileEntry>();
  #dirty = false;
  /** Loaded rows whose file this build found (lookup), by row. */
  #seen: Uint8Array | undefined;
  /** release() was called. */
  #released = false;
  /** Directories listed whole in this build, with the names each listing held. */
  readonly #listings = new Map<string, readonly string[]>();

  private constructor(store: MetaStore | undefined, name: string) {
    this.#store = store;
    this.#name = name;
  }

  /** The meta name for a source root: derived from the hash of its absolute path. */
  static nameFor(rootAbs: string): string {
    return `statcache-${createHash('sha256').update(rootAbs).digest('hex')}`;
  }

  /** Loads the cache for `rootAbs`; a missing or unreadable document gives an empty cache. */
  static async load(store: MetaStore | undefined, rootAbs: string): Promise<StatCache> {
    const cache = new StatCache(store, StatCache.nameFor(rootAbs));
    const chunks = await readChunks(store, cache.#name).catch(() => undefined);
    // A cache is only an optimisation: a missing, unreadable or other version's document is
    // dropped, not an error.
    const first = chunks?.[0]?.indexOf('\n') ?? -1;
    if (chunks === undefined || first < 0 || chunks[0].slice(0, first) !== HEADER) return cache;
    cache.#rows = SortedRows.ofChunks(chunks, first + 1);
    return cache;
  }

  /**
   * Drops the rows (loaded and recorded) and stops saving: for when no more checksums are
   * coming. A lookup after it misses; a save writes nothing (it would lose the rows).
   */
  release(): void {
    this.#rows = SortedRows.EMPTY;
    this.#seen = undefined;
    this.#fresh.clear();
    this.#listings.clear();
    this.#released = true;
  }

  /** The cached digest for `e` if its stat key is unchanged. */
  lookup(e: FileEntry): Digest | undefined {
    // Each read once: an entry of the context's table makes them on each read.
    const abs = e.abs;
    const statKey = e.statKey;
    if (this.#fresh.size > 0) {
      const f = this.#fresh.get(abs);
      if (f !== undefined) {
        if (f.statKey !== statKey || f.size !== e.size || f.digest === undefined) return undefined;
        e.fingerprint = f.fingerprint;
        return f.digest as Digest;
      }
    }
    const key = escapeKey(abs);
    const rows = this.#rows;
    const i = rows.find(key);
    if (i < 0) return undefined;
    // Its file is still there: a save keeps the row as it is, with no listing to consult.
    this.#seen ??= new Uint8Array(rows.count);
    this.#seen[i] = 1;
    // The row after its path: `statKey \t size \t hex \t fingerprint`, compared in place.
    const text = rows.textOf(i);
    const at = rows.start(i) + key.length + 1;
    const end = rows.end(i);
    const k = statKey.length;
    if (!fieldEquals(text, at, statKey)) return undefined;
    const size = String(e.size);
    const hexAt = at + k + 1 + size.length;
    if (!fieldEquals(text, at + k + 1, size)) return undefined;
    if (hexAt + HEX_FIELD > end || text.charCodeAt(hexAt + HEX_FIELD - 1) !== TAB) return undefined;
    // join: a copy. A slice (13 characters or more) would keep the whole document alive for
    // as long as the entry lives, past release().
    const fp = hexAt + HEX_FIELD;
    const mid = Math.min(fp + 8, end);
    e.fingerprint = [text.slice(fp, mid), text.slice(mid, end)].join('');
    // join: one flat string. A template gives a cons string over a slice, which the first
    // JSON.stringify flattens into a copy beside both (120 bytes a file instead of 88).
    return ['sha256:', text.slice(hexAt + 1, hexAt + HEX_FIELD - 1)].join('') as Digest;
  }

  /**
   * Records `e`'s digest and fingerprint (content-hasher.ts) under its current stat key.
   * Sets `e.digest` and `e.fingerprint`: the cache keeps the entry itself as the row.
   */
  record(e: FileEntry, digest: Digest, fingerprint: string): void {
    e.digest = digest;
    e.fingerprint = fingerprint;
    if (this.#released) return;
    this.#fresh.set(e.abs, e);
    this.#dirty = true;
  }

  /**
   * Tells the cache that `dirAbs` was listed whole and held `children`: rows for paths in
   * that directory that the listing lacks are for deleted (or now ignored) files, dropped at
   * the next save. Without this the cache of a context whose files churn (generated code,
   * node_modules) would only grow, and every build loads all of it.
   */
  noteListing(dirAbs: string, children: readonly { name: string }[]): void {
    if (this.#released) return;
    // Names only (the strings the listing already holds): keeping the children themselves
    // would keep one more object per file alive for the whole build.
    this.#listings.set(
      dirAbs,
      children.map((c) => c.name),
    );
  }

  /**
   * Writes the cache through the store if anything changed since load or the last save:
   * the loaded rows and this build's merged in path order, less the rows of paths a listing
   * showed gone (rows elsewhere are kept, not looked at). A build that hashed nothing new
   * (a no-op) writes nothing, and stale rows go at the next save.
   */
  async save(): Promise<boolean> {
    if (!this.#dirty || !this.#store || this.#released) return false;
    if (!this.#worthWriting()) return false;
    const fresh = [...this.#fresh.keys()].map((abs) => [escapeKey(abs), abs] as const);
    fresh.sort((a, b) => byKey(a[0], b[0]));
    // Rows come sorted, so a directory's files come together: its listing is looked up once
    // for the run of them (a Map lookup and two slices a row were half of a save).
    let parent: string | undefined;
    let names: Set<string> | null = null;
    const gone = (key: string): boolean => {
      if (this.#listings.size === 0) return false;
      const abs = unescapeKey(key);
      const slash = abs.lastIndexOf('/');
      const sameParent =
        parent !== undefined && slash === parent.length && abs.startsWith(parent) && slash > 0;
      if (!sameParent) {
        parent = slash <= 0 ? '/' : abs.slice(0, slash);
        const listed = this.#listings.get(parent);
        names = listed === undefined ? null : new Set(listed);
      }
      return names !== null && !names.has(abs.slice(slash + 1));
    };
    // The listings stay: a later save this build still writes the rows loaded at the start,
    // and must drop the same gone ones again.
    this.#dirty = false;
    const store = this.#store;
    const lines = this.#lines(fresh, gone);
    if (store.writeMetaPieces) await store.writeMetaPieces(this.#name, inPieces(lines));
    else await store.writeMeta(this.#name, [...lines].join('\n'));
    return true;
  }

  /**
   * Whether this build's news are worth rewriting a big document for. Not when they are a
   * few small files among many rows found as they were (an edit-rebuild loop): their rows
   * stay as they were loaded, stale, and the next build misses on them and hashes those
   * files again, which costs less than writing every row now. A row's stat key decides a
   * hit, so a stale row can only miss. Small documents, news of some size or count, and
   * many rows not found this build (deleted files, to be dropped) are written as before.
   */
  #worthWriting(): boolean {
    const rows = this.#rows.count;
    if (rows < REWRITE_MIN_ROWS || this.#fresh.size * REWRITE_FRACTION > rows) return true;
    let bytes = 0;
    for (const e of this.#fresh.values()) if ((bytes += e.size) > REWRITE_FRESH_BYTES) return true;
    const seen = this.#seen;
    if (seen === undefined) return true;
    let unseen = 0;
    for (let i = 0; i < seen.length; i++) if (seen[i] === 0) unseen++;
    return unseen * REWRITE_FRACTION > rows;
  }

  /**
   * The document: the loaded rows and this build's merged in path order. Yields lines, or runs
   * of lines: loaded rows this build found (most of them, in a rebuild) go out as one slice a
   * run, between the rows it recorded again or anew.
   */
  *#lines(fresh: readonly (readonly [string, string])[], gone: (key: string) => boolean): Generator<string> {
    yield HEADER;
    const rows = this.#rows;
    let i = 0;
    for (const f of fresh) {
      const at = rows.lowerBound(f[0], i);
      yield* this.#loaded(i, at, gone);
      yield this.#freshRow(f);
      i = at < rows.count && rows.keyIs(at, f[0]) ? at + 1 : at; // recorded again: replaced
    }
    yield* this.#loaded(i, rows.count, gone);
  }

  /** Loaded rows `from` to `to - 1` that stay: found this build, or not shown gone by a listing. */
  *#loaded(from: number, to: number, gone: (key: string) => boolean): Generator<string> {
    const rows = this.#rows;
    const seen = this.#seen;
    for (let i = from; i < to; ) {
      if (seen?.[i]) {
        // A run at most RUN_CHARS long: a longer slice would be joined into a piece as long
        // as itself, and a piece over V8's large-object size is old-generation garbage the
        // moment it is written (whole 4 MiB chunks were ~16 MB of it in a 100,000-row save).
        let k = i + 1;
        while (k < to && seen[k] && rows.sameChunk(i, k) && rows.end(k) - rows.start(i) < RUN_CHARS) k++;
        yield rows.lines(i, k);
        i = k;
        continue;
      }
      const key = rows.keyAt(i);
      if (key !== undefined && !gone(key)) yield rows.line(i);
      i++;
    }
  }

  #freshRow([key, abs]: readonly [string, string]): string {
    const e = this.#fresh.get(abs) as FileEntry;
    // join: one flat string (a template leaves a tree of cons strings).
    return [key, e.statKey, e.size, (e.digest as string).slice('sha256:'.length), e.fingerprint].join('\t');
  }
}

/** The document's lines in chunks, read in pieces when the store can; undefined when absent. */
async function readChunks(store: MetaStore | undefined, name: string): Promise<string[] | undefined> {
  if (store === undefined) return undefined;
  if (store.readMetaPieces) {
    const pieces = await store.readMetaPieces(name);
    return pieces === undefined ? undefined : linesInChunks(pieces);
  }
  const raw = await store.readMeta(name);
  if (raw === undefined) return undefined;
  return linesInChunks([raw]);
}
