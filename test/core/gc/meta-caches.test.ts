/**
 * Meta caches (core/gc/meta-caches.ts) go by age, measured as the later of atime and mtime:
 * real files in a real store, aged with utimes, pruned through prune(). Only the allow-listed
 * kinds ever go; build reports, pointers, the step index and look-alike names stay.
 */
import { readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StatCache } from '../../../core/context/stat-cache.js';
import { urlValidatorsName } from '../../../core/copy/url-content.js';
import { rewriteMemoName } from '../../../core/export/rewrite-timestamps.js';
import { storeBytes } from '../../../core/gc/gc-plan.js';
import { META_CACHES, metaCacheAge, staleMetaCaches } from '../../../core/gc/meta-caches.js';
import { prune } from '../../../core/gc/prune.js';
import { sha256 } from '../../../core/oci/digest.js';
import type { Store } from '../../../store/store.js';
import { strata } from '../../helpers/cli.js';
import { freshStore } from '../views/plan-fixture.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One name of each kind, made by the code that makes them in builds. */
const CACHES = {
  context: StatCache.nameFor('/home/me/app'),
  layers: StatCache.nameFor(`layers:${sha256('a stack')}`),
  url: urlValidatorsName('https://example.com/tool.sh'),
  memo: rewriteMemoName(sha256('a config'), 1_700_000_000),
};

/** Meta files that are not pure caches, or only look like them: never removed. */
const KEEP = [
  'build-abc.json',
  `image-${sha256('img').slice(7)}.json`,
  'last-build.json',
  'step-index.json',
  'statcache-notahash',
  `http-${sha256('x').slice(7)}.json`,
  'rewrite-timestamp-memo',
  'stat-cache',
];

async function setTimes(store: Store, name: string, atimeAgo: number, mtimeAgo: number): Promise<void> {
  const now = Date.now();
  await utimes(join(store.root, 'meta', name), new Date(now - atimeAgo), new Date(now - mtimeAgo));
}

const metaFiles = async (store: Store) => (await readdir(join(store.root, 'meta'))).sort();

/** A store with every cache and every file to keep, all last read and written `ago` ago. */
async function storeAged(ago: number): Promise<Store> {
  const store = await freshStore();
  for (const name of [...Object.values(CACHES), ...KEEP]) {
    await store.writeMeta(name, `content of ${name}\n`);
    await setTimes(store, name, ago, ago);
  }
  return store;
}

const opts = { all: false, cacheMountsOnly: false, graceMs: 60_000, metaCaches: true } as const;

describe('meta caches', () => {
  it('the allow-list matches every name the code makes, each by exactly one kind', () => {
    for (const name of Object.values(CACHES))
      expect(META_CACHES.filter((k) => k.pattern.test(name) && name.startsWith(k.prefix))).toHaveLength(1);
    for (const name of KEEP) expect(META_CACHES.some((k) => k.pattern.test(name))).toBe(false);
  });

  it('prune removes caches unused for over a week, and nothing else', async () => {
    const store = await storeAged(8 * DAY);
    const r = await prune(store, opts);
    expect(r.metaCaches).toBe(4);
    expect(r.bytes).toBe(Object.values(CACHES).reduce((t, n) => t + `content of ${n}\n`.length, 0));
    expect(await metaFiles(store)).toEqual([...KEEP].sort());
  });

  it('a cache read recently (atime) or written recently (mtime) is kept', async () => {
    const store = await storeAged(8 * DAY);
    // Read two days ago, written a month ago: a no-op build reads and does not write.
    await setTimes(store, CACHES.context, 2 * DAY, 30 * DAY);
    // Written two days ago, its atime older (a filesystem that keeps atime behind).
    await setTimes(store, CACHES.url, 30 * DAY, 2 * DAY);
    const r = await prune(store, opts);
    expect(r.metaCaches).toBe(2);
    const left = await metaFiles(store);
    expect(left).toContain(CACHES.context);
    expect(left).toContain(CACHES.url);
    expect(left).not.toContain(CACHES.layers);
    expect(left).not.toContain(CACHES.memo);
  });

  it('until= sets the age, never under a day: relatime moves atime at most daily', async () => {
    const store = await storeAged(8 * DAY);
    await setTimes(store, CACHES.context, 3 * DAY, 3 * DAY);
    await setTimes(store, CACHES.layers, 2 * HOUR, 2 * HOUR);
    await setTimes(store, CACHES.url, 20 * HOUR, 30 * DAY);
    expect(metaCacheAge(undefined)).toBe(7 * DAY);
    expect(metaCacheAge(HOUR)).toBe(DAY);
    expect(metaCacheAge(2 * DAY)).toBe(2 * DAY);
    // until=1h: a cache read 20 hours ago may have been read a minute ago (its atime within a
    // day, so not moved), and stays; one 3 days unused goes.
    const r = await prune(store, { ...opts, policy: { untilMs: HOUR } });
    expect(r.metaCaches).toBe(2);
    expect(
      (await metaFiles(store)).filter((n) => n.startsWith('statcache-') || n.startsWith('http-')),
    ).toEqual([CACHES.layers, CACHES.url, `http-${sha256('x').slice(7)}.json`, 'statcache-notahash'].sort());
  });

  it('--all removes every cache however recent, and still nothing else', async () => {
    const store = await storeAged(0);
    const r = await prune(store, { ...opts, all: true });
    expect(r.metaCaches).toBe(4);
    expect(await metaFiles(store)).toEqual([...KEEP].sort());
  });

  it('a dry run lists the stale ones with why and what they cost, and removes nothing', async () => {
    const store = await storeAged(8 * DAY);
    await setTimes(store, CACHES.memo, HOUR, 10 * DAY);
    const before = await metaFiles(store);
    const r = await prune(store, { ...opts, dryRun: true });
    const items = r.plan?.remove.filter((i) => i.kind === 'meta cache') ?? [];
    expect(items.map((i) => i.id).sort()).toEqual([CACHES.context, CACHES.layers, CACHES.url].sort());
    const stat = items.find((i) => i.id === CACHES.context);
    expect(stat?.what).toBe('stat cache');
    expect(stat?.bytes).toBe(`content of ${CACHES.context}\n`.length);
    expect(stat?.reason).toBe(
      'last read or written 8d ago, longer than 7d: its files are read and hashed again',
    );
    expect(await metaFiles(store)).toEqual(before);
    expect(r.metaCaches).toBe(0);
  });

  it('count toward --keep-storage and go under it least recently used first, never one used within a day', async () => {
    const store = await storeAged(8 * DAY);
    await setTimes(store, CACHES.context, 3 * DAY, 3 * DAY);
    await setTimes(store, CACHES.layers, 2 * DAY, 2 * DAY);
    await setTimes(store, CACHES.url, 2 * HOUR, 30 * DAY);
    const size = (n: string) => `content of ${n}\n`.length;
    const caches = Object.values(CACHES).reduce((t, n) => t + size(n), 0);
    // The store holds nothing else that counts: its size is the caches'.
    expect(await storeBytes(store)).toBe(caches);
    // A cap that the oldest one's removal meets: only it goes (memo, 8 days).
    const cap = caches - size(CACHES.memo);
    const one = await prune(store, { ...opts, policy: { keepStorage: cap }, dryRun: true });
    expect(one.plan?.before).toBe(caches);
    expect(one.plan?.metaCaches.map((c) => c.name)).toEqual([CACHES.memo]);
    // Listed once, though the week-long age rule would list it too.
    const items = one.plan?.remove.filter((i) => i.kind === 'meta cache') ?? [];
    expect(items.map((i) => i.id)).toEqual([CACHES.memo]);
    expect(items[0].reason).toMatch(
      /^last used 8d ago: least recently used while the store is over its \d+-byte cap: the clamped config/,
    );
    // Cap 0: every one unused for a day goes, oldest first; the one read 2 hours ago stays.
    const r = await prune(store, { ...opts, policy: { keepStorage: 0 } });
    expect(r.plan?.metaCaches.map((c) => c.name)).toEqual([CACHES.memo, CACHES.context, CACHES.layers]);
    expect(r.metaCaches).toBe(3);
    expect(r.bytes).toBe(caches - size(CACHES.url));
    const left = await metaFiles(store);
    expect(left).toEqual([...KEEP, CACHES.url].sort());
    expect(await storeBytes(store)).toBe(size(CACHES.url));
  });

  it('strata du shows meta caches and the rest of meta/ with their sizes', async () => {
    const store = await storeAged(0);
    const r = await strata(['du', '--root', store.root]);
    expect(r.code).toBe(0);
    const caches = Object.values(CACHES).reduce((t, n) => t + `content of ${n}\n`.length, 0);
    const rest = KEEP.reduce((t, n) => t + `content of ${n}\n`.length, 0);
    expect(r.stdout).toMatch(new RegExp(`\\nmeta caches +4 +${caches}B\\n`));
    expect(r.stdout).toMatch(new RegExp(`\\nbuild history +${KEEP.length} +${rest}B\\n`));
  });

  it('without metaCaches, prune leaves them alone; listing moves no atime', async () => {
    const store = await storeAged(8 * DAY);
    const r = await prune(store, { ...opts, metaCaches: false, all: true });
    expect(r.metaCaches).toBe(0);
    expect((await staleMetaCaches(store, { olderThanMs: 7 * DAY })).map((c) => c.name).sort()).toEqual(
      Object.values(CACHES).sort(),
    );
    // Listed twice, read by nobody: still stale (a stat does not count as a use).
    expect(await staleMetaCaches(store, { olderThanMs: 7 * DAY })).toHaveLength(4);
    // Read through the store: a use, under relatime or strictatime (atime older than a day).
    expect((await store.readMeta(CACHES.context))?.toString()).toBe(`content of ${CACHES.context}\n`);
    expect((await staleMetaCaches(store, { olderThanMs: 7 * DAY })).map((c) => c.name)).not.toContain(
      CACHES.context,
    );
  });
});
