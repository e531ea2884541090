/**
 * The stat cache: (host path, inode, size, mtime_ns, ctime_ns) -> entry digest, so an
 * unchanged rebuild never re-reads a file. ctime is part of the key on purpose: BuildKit's
 * transfer compares only size and mtime, so a same-size edit that kept the mtime
 * (`touch -r`, checkouts, some editors) is missed there; ctime cannot be set from user
 * space, so any write, chmod, chown or xattr change moves it. That is also why the whole
 * entry digest (header fields and content) can be cached under this key.
 *
 * Persisted through the store's meta files, one document per source root, as text lines
 * `path \t ino:mtime_ns:ctime_ns \t size \t digest-hex \t fingerprint` (the fingerprint:
 * short hashes of the content and of the kept xattrs, so a later miss can say which of them
 * changed even for a file this build did not read; a JSON object of 100,000 rows
 * took ~1.2 s to load on a 2-core machine; these lines parse in a fraction of that).
 * Written only when something changed.
 *
 * Memory: each row is held as the one string after its path (a slice of the loaded text),
 * not as an object of five strings: for 100,000 rows that is ~8 MB instead of ~30 MB.
 */
import { createHash } from 'node:crypto';
import type { FileEntry } from '../fs/file-entry.js';
import type { Digest } from '../oci/digest.js';

/** The store surface the cache needs (store/Store implements it). */
export interface MetaStore {
  readMeta(name: string): Promise<Uint8Array | undefined>;
  writeMeta(name: string, data: string): Promise<void>;
}

const HEADER = 'strata-statcache v5';
const TAB = 9;

export class StatCache {
  readonly #store: MetaStore | undefined;
  readonly #name: string;
  /** host path -> `statKey \t size \t hex \t fingerprint`. */
  #rows = new Map<string, string>();
  #dirty = false;
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
    const raw = store ? await store.readMeta(cache.#name) : undefined;
    if (!raw) return cache;
    const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
    // A cache is only an optimisation: another version or a torn line is dropped, not an error.
    let pos = text.indexOf('\n');
    if ((pos < 0 ? text : text.slice(0, pos)) !== HEADER) return cache;
    // Scanned with indexOf rather than split: no array of 100,000 lines, no per-line arrays.
    while (pos >= 0) {
      const start = pos + 1;
      pos = text.indexOf('\n', start);
      const end = pos < 0 ? text.length : pos;
      const tab = text.indexOf('\t', start);
      if (tab < 0 || tab >= end) continue;
      const row = text.slice(tab + 1, end);
      if (!wellFormed(row)) continue;
      cache.#rows.set(unescapeKey(text.slice(start, tab)), row);
    }
    return cache;
  }

  get size(): number {
    return this.#rows.size;
  }

  /** The cached digest for `e` if its stat key is unchanged. */
  lookup(e: FileEntry): Digest | undefined {
    const row = this.#rows.get(e.abs);
    if (row === undefined) return undefined;
    const k = e.statKey.length;
    if (!row.startsWith(e.statKey) || row.charCodeAt(k) !== TAB) return undefined;
    const hexAt = row.indexOf('\t', k + 1);
    if (row.slice(k + 1, hexAt) !== String(e.size)) return undefined;
    e.fingerprint = row.slice(hexAt + 66);
    return `sha256:${row.slice(hexAt + 1, hexAt + 65)}`;
  }

  /** Records `e`'s digest and fingerprint (content-hasher.ts) under its current stat key. */
  record(e: FileEntry, digest: Digest, fingerprint: string): void {
    // join: one flat string; a template leaves a tree of nine cons strings per row (100,000
    // rows: ~29 MB of them, alive until the cache is saved).
    this.#rows.set(e.abs, [e.statKey, e.size, digest.slice('sha256:'.length), fingerprint].join('\t'));
    this.#dirty = true;
  }

  /**
   * Tells the cache that `dirAbs` was listed whole and held `children`: rows for paths in
   * that directory that the listing lacks are for deleted (or now ignored) files, dropped at
   * the next save. Without this the cache of a context whose files churn (generated code,
   * node_modules) would only grow, and every build loads all of it.
   */
  noteListing(dirAbs: string, children: readonly { name: string }[]): void {
    // Names only (the strings the listing already holds): keeping the children themselves
    // would keep one more object per file alive for the whole build.
    this.#listings.set(
      dirAbs,
      children.map((c) => c.name),
    );
  }

  /**
   * Drops rows of paths a listing showed gone; rows elsewhere are kept (not looked at). Run
   * only when the cache is written anyway: a build that hashed nothing new (a no-op) skips
   * the pass, and stale rows go at the next save.
   */
  #prune(): void {
    if (this.#listings.size === 0) return;
    const present = new Map<string, Set<string>>();
    for (const k of this.#rows.keys()) {
      const slash = k.lastIndexOf('/');
      const parent = slash <= 0 ? '/' : k.slice(0, slash);
      const names = this.#listings.get(parent);
      if (names === undefined) continue;
      let set = present.get(parent);
      if (set === undefined) present.set(parent, (set = new Set(names)));
      if (!set.has(k.slice(slash + 1))) this.#rows.delete(k);
    }
  }

  /** Writes the cache through the store if anything changed since load or the last save. */
  async save(): Promise<boolean> {
    if (!this.#dirty || !this.#store) return false;
    this.#prune();
    const parts: string[] = [HEADER];
    for (const [k, r] of this.#rows) parts.push(`${escapeKey(k)}\t${r}`);
    this.#dirty = false;
    await this.#store.writeMeta(this.#name, parts.join('\n'));
    return true;
  }
}

/** `statKey \t size \t 64 hex digits \t fingerprint`: anything else is a torn or foreign line. */
function wellFormed(row: string): boolean {
  const a = row.indexOf('\t');
  const b = row.indexOf('\t', a + 1);
  return a > 0 && b > a + 1 && row.charCodeAt(b + 65) === TAB && row.indexOf('\t', b + 66) < 0;
}

// Paths may hold any byte but NUL; tab, newline and backslash are escaped.
function escapeKey(k: string): string {
  return /[\\\t\n]/.test(k) ? k.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n') : k;
}

function unescapeKey(k: string): string {
  return k.includes('\\')
    ? k.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c))
    : k;
}
