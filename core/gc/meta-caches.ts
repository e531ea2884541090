/**
 * Meta caches: the files in the store's meta/ that only save time, and the age rule that
 * removes them (`strata prune`, and the gc a store's policy runs after builds). Nothing else
 * ever deletes them, and a stat cache of a 100,000-file context is some 16 MB, one per context
 * directory ever built and one per `COPY --from` layer stack.
 *
 * Only names on the allow-list below are candidates, matched whole, so build reports, their
 * pointers, last-build.json, step-index.json and anything added later stay untouched until
 * someone decides it is a pure cache and lists it here.
 *
 * "Used" is the later of a file's mtime (a build rewrote it) and its atime (a build read it).
 * A build that changes nothing writes nothing (issue 20), so the stat cache of a context built
 * every day keeps an old mtime; what moves is its atime. Linux's default `relatime` moves
 * atime on a read when it is older than the mtime or more than a day old, so a cache read
 * daily looks at most a day unused: enough for an age counted in days. That is also why the
 * age is never under a day: with a shorter `until=`, the gc after a build would remove the
 * stat cache that very build had just read (its atime not moved, being under a day old), and
 * every build would hash its context again. Under `noatime` atime never moves: a cache
 * unchanged for the age is removed though it is used, and the next build makes it again.
 *
 * Removing one beside a running build breaks nothing. Each is read whole at once (readMeta:
 * one readFile; on Linux an unlinked file stays readable, to its end, through a descriptor
 * already open, and a read that opens after the unlink finds no file, which every reader takes
 * as an empty cache) and replaced whole (writeMeta: a temp file renamed over the name, which
 * recreates a removed one). If a build renames a fresh copy in between this listing (which saw
 * the old copy's times) and the unlink, the fresh copy goes: the next build rehashes, no more.
 */
import type { MetaFileInfo, Store } from '../../store/store.js';

export interface MetaCacheKind {
  /** The start of every name of this kind: only these prefixes are ever listed. */
  prefix: string;
  /** The whole name: a file with the prefix but another shape is not this cache's, and stays. */
  pattern: RegExp;
  /** What the dry run calls it. */
  what: string;
  /** What removing one costs the next build that needs it. */
  costs: string;
}

/** The allow-list: every kind of meta file that is a pure cache, and where its names are made. */
export const META_CACHES: readonly MetaCacheKind[] = [
  {
    // core/context/stat-cache.ts StatCache.nameFor: sha256 of a context root, or of
    // `layers:<id>` for a COPY --from layer stack (core/copy/layer-source.ts).
    prefix: 'statcache-',
    pattern: /^statcache-[0-9a-f]{64}$/,
    what: 'stat cache',
    costs: 'its files are read and hashed again',
  },
  {
    // core/copy/url-content.ts urlValidatorsName: sha256 of the URL.
    prefix: 'http-',
    pattern: /^http-[0-9a-f]{64}$/,
    what: 'ADD <url> validators',
    costs: 'the URL is downloaded again without If-None-Match',
  },
  {
    // core/export/rewrite-timestamps.ts rewriteMemoName: config hex and SOURCE_DATE_EPOCH.
    prefix: 'rewrite-timestamp-',
    pattern: /^rewrite-timestamp-[0-9a-f]{64}-\d+$/,
    what: 'rewrite-timestamp memo',
    costs: 'the clamped config is computed again',
  },
];

const DAY_MS = 86_400_000;

/**
 * Under a size cap a meta cache may go before it is a week unused, least recently used first
 * like everything else, but never one used within a day: relatime moves atime at most daily,
 * so a younger one may be the cache this very build read.
 */
export const META_CACHE_FLOOR_MS = DAY_MS;

/** Unused this long, a meta cache goes when no `until=` says otherwise. */
export const DEFAULT_META_CACHE_AGE_MS = 7 * DAY_MS;

/** The age past which a meta cache goes: `until=` (else a week), never under a day (above). */
export function metaCacheAge(untilMs: number | undefined): number {
  return Math.max(untilMs ?? DEFAULT_META_CACHE_AGE_MS, META_CACHE_FLOOR_MS);
}

export interface StaleMetaCache {
  name: string;
  kind: MetaCacheKind;
  bytes: number;
  /** The later of mtime and atime (ms since the epoch). */
  lastUsedMs: number;
}

/** The kind of meta cache `name` is, if it is one (allow-listed and of its kind's shape). */
export function metaCacheKind(name: string): MetaCacheKind | undefined {
  return META_CACHES.find((k) => name.startsWith(k.prefix) && k.pattern.test(name));
}

/** The meta files that are meta caches (`strata du` and the size cap count them). */
export function metaCacheFiles(files: readonly MetaFileInfo[]): MetaFileInfo[] {
  return files.filter((f) => metaCacheKind(f.name) !== undefined);
}

/** When a meta file was last written or read, as far as the filesystem tells. */
export function lastUsed(f: MetaFileInfo): number {
  return Math.max(f.mtimeMs, f.atimeMs);
}

/**
 * The meta caches not used for longer than `olderThanMs` (every one with `all`), least
 * recently used first. Lists only; stat moves no atime.
 */
export async function staleMetaCaches(
  store: Store,
  o: { olderThanMs: number; all?: boolean; now?: number },
): Promise<StaleMetaCache[]> {
  const now = o.now ?? Date.now();
  const out: StaleMetaCache[] = [];
  for (const kind of META_CACHES) {
    for (const f of await store.listMeta(kind.prefix)) {
      if (metaCacheKind(f.name) !== kind) continue;
      const used = lastUsed(f);
      if (o.all || now - used > o.olderThanMs)
        out.push({ name: f.name, kind, bytes: f.size, lastUsedMs: used });
    }
  }
  return out.sort((a, b) => a.lastUsedMs - b.lastUsedMs);
}

/** Removes `caches`; returns those that were still there (another prune may have been first). */
export async function removeMetaCaches(store: Store, caches: StaleMetaCache[]): Promise<StaleMetaCache[]> {
  const removed: StaleMetaCache[] = [];
  for (const c of caches) if (await store.removeMeta(c.name)) removed.push(c);
  return removed;
}
