import { lstatSync } from 'node:fs';
import { realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inPieces } from '../../../core/cache/sorted-rows.js';
import { openContext, StatCache } from '../../../core/context/index.js';
import { entryFromStat, type FileEntry } from '../../../core/fs/file-entry.js';
import type { Digest } from '../../../core/oci/digest.js';
import { MemoryMeta, makeTree } from './helpers.js';

const ROOT = { uid: 0, gid: 0 };
const entry = (abs: string): FileEntry => entryFromStat('', abs, lstatSync(abs, { bigint: true }), ROOT);
const digestOf = (n: number): Digest => `sha256:${n.toString(16).padStart(64, '0')}`;

/** Records one row per file of `files` (abs paths) in a fresh cache and saves it into `meta`. */
async function seed(meta: MemoryMeta, root: string, files: string[]): Promise<void> {
  const cache = await StatCache.load(meta, root);
  for (const [i, f] of files.entries()) cache.record(entry(f), digestOf(i + 1), `fp${i + 1}.`);
  await cache.save();
}

const rowPaths = (meta: MemoryMeta) =>
  (meta.data.values().next().value ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[0]);

describe('StatCache', () => {
  it('writes rows sorted by path and finds each row in any lookup order', async () => {
    const names = ['b', 'a-z', 'a', 'a/x', 'c', 'a/y', 'tab\there', 'new\nline', 'back\\slash', 'é'];
    const tree: Record<string, string | null> = { a: null };
    for (const n of names) if (n !== 'a') tree[n] = n;
    const dir = await realpath(await makeTree(tree));
    const files = names.map((n) => path.join(dir, n));
    const meta = new MemoryMeta();
    await seed(meta, dir, files);
    const written = rowPaths(meta);
    expect(written).toEqual([...written].sort());
    expect(written).toHaveLength(names.length);

    const cache = await StatCache.load(meta, dir);
    // Forwards, backwards and shuffled: the cursor helps only the first; the search does the rest.
    for (const order of [files, [...files].reverse(), [files[4], files[0], files[9], files[2], files[7]]]) {
      for (const f of order) {
        const e = entry(f);
        expect(cache.lookup(e)).toBe(digestOf(files.indexOf(f) + 1));
        expect(e.fingerprint).toBe(`fp${files.indexOf(f) + 1}.`);
      }
    }
    expect(cache.lookup(entry(dir))).toBeUndefined(); // never recorded
  });

  it('misses when the stat key or size moved, and a new record wins over the loaded row', async () => {
    const dir = await realpath(await makeTree({ f: 'one', g: 'two' }));
    const f = path.join(dir, 'f');
    const meta = new MemoryMeta();
    await seed(meta, dir, [f, path.join(dir, 'g')]);
    await writeFile(f, 'longer content');
    const cache = await StatCache.load(meta, dir);
    const changed = entry(f);
    expect(cache.lookup(changed)).toBeUndefined();
    cache.record(changed, digestOf(99), 'fp99.');
    expect(cache.lookup(entry(f))).toBe(digestOf(99));
    expect(await cache.save()).toBe(true);
    const again = await StatCache.load(meta, dir);
    expect(again.lookup(entry(f))).toBe(digestOf(99));
    expect(again.lookup(entry(path.join(dir, 'g')))).toBe(digestOf(2));
    expect(rowPaths(meta)).toEqual([f, path.join(dir, 'g')]);
  });

  it('a document out of order or torn can only miss, never hit wrongly', async () => {
    const dir = await realpath(await makeTree({ a: 'a', b: 'b', c: 'c' }));
    const files = ['a', 'b', 'c'].map((n) => path.join(dir, n));
    const meta = new MemoryMeta();
    await seed(meta, dir, files);
    const [name, text] = [...meta.data][0];
    const [header, ...rows] = text.split('\n');
    // Reversed rows, and the middle one cut short.
    rows.reverse();
    rows[1] = rows[1].slice(0, rows[1].length - 40);
    meta.data.set(name, [header, ...rows].join('\n'));
    const cache = await StatCache.load(meta, dir);
    const found = files.map((f) => cache.lookup(entry(f)));
    for (const [i, d] of found.entries()) if (d !== undefined) expect(d).toBe(digestOf(i + 1));
    expect(found[1]).toBeUndefined();
    // Another version's document is not read at all.
    meta.data.set(name, text.replace('strata-statcache v6', 'strata-statcache v5'));
    expect((await StatCache.load(meta, dir)).lookup(entry(files[0]))).toBeUndefined();
  });

  it('after release() it answers nothing and saves nothing, and a checksum is still right', async () => {
    const dir = await realpath(await makeTree({ a: 'a', 'd/b': 'b' }));
    const meta = new MemoryMeta();
    const reads: string[] = [];
    const ctx = await openContext(dir, { metaStore: meta, onContentRead: (p) => reads.push(p) });
    const first = await (await ctx.resolveSources(['.'])).checksum();
    const saved = [...meta.data.values()];
    const writes = meta.writes;
    ctx.releaseCache();
    // The same context, asked again: read from the files (nothing cached), the same digest,
    // and the document is left as it was.
    reads.length = 0;
    const again = await (await ctx.resolveSources(['d', 'a'])).checksum();
    expect(reads.sort()).toEqual([path.join(dir, 'a'), path.join(dir, 'd/b')]);
    const cold = await (await (await openContext(dir)).resolveSources(['d', 'a'])).checksum();
    expect(again.digest).toBe(cold.digest);
    expect(meta.writes).toBe(writes);
    expect([...meta.data.values()]).toEqual(saved);
    // A later build reads the saved rows as before.
    reads.length = 0;
    const next = await (
      await (
        await openContext(dir, { metaStore: meta, onContentRead: (p) => reads.push(p) })
      ).resolveSources(['.'])
    ).checksum();
    expect(next.digest).toBe(first.digest);
    expect(reads).toEqual([]);
  });

  it('a fingerprint read from a row is the one recorded, short or long', async () => {
    const dir = await realpath(await makeTree({ a: 'a', b: 'b', c: 'c' }));
    const files = ['a', 'b', 'c'].map((n) => path.join(dir, n));
    const meta = new MemoryMeta();
    const cache = await StatCache.load(meta, dir);
    const fps = ['.', '0123456789abcdef.', '0123456789abcdef.fedcba9876543210'];
    for (const [i, f] of files.entries()) cache.record(entry(f), digestOf(i + 1), fps[i]);
    await cache.save();
    const loaded = await StatCache.load(meta, dir);
    for (const [i, f] of files.entries()) {
      const e = entry(f);
      expect(loaded.lookup(e)).toBe(digestOf(i + 1));
      expect(e.fingerprint).toBe(fps[i]);
    }
  });

  it('hashes nothing again through a whole context rebuild (the walk asks in path order)', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 300; i++) tree[`d${i % 7}/sub${i % 3}/f${i}`] = `content ${i}`;
    const dir = await makeTree(tree);
    const meta = new MemoryMeta();
    const reads: string[] = [];
    const open = () => openContext(dir, { metaStore: meta, onContentRead: (p) => reads.push(p) });
    const first = await (await (await open()).resolveSources(['.'])).checksum();
    expect(reads).toHaveLength(300);
    reads.length = 0;
    const second = await (await (await open()).resolveSources(['d3', 'd1/sub2', '.'])).checksum();
    expect(reads).toEqual([]);
    const third = await (await (await open()).resolveSources(['.'])).checksum();
    expect(third.digest).toBe(first.digest);
    expect(second.digest).not.toBe(first.digest);
  });
});

describe('StatCache: a big document is rewritten only when enough changed', () => {
  // 1,200 rows: past the 1,000 from which a save weighs what changed.
  const N = 1200;
  async function big(): Promise<{ dir: string; files: string[]; meta: MemoryMeta }> {
    const tree: Record<string, string> = {};
    for (let i = 0; i < N; i++) tree[`d${i % 10}/f${String(i).padStart(4, '0')}`] = `content ${i}`;
    const dir = await realpath(await makeTree(tree));
    const files = Object.keys(tree).map((k) => path.join(dir, k));
    const meta = new MemoryMeta();
    await seed(meta, dir, files);
    return { dir, files, meta };
  }
  /** A rebuild: every file looked up, the ones that miss recorded anew; then a save. */
  async function rebuild(
    meta: MemoryMeta,
    dir: string,
    files: string[],
  ): Promise<{ saved: boolean; missed: string[] }> {
    const cache = await StatCache.load(meta, dir);
    const missed: string[] = [];
    for (const [i, f] of files.entries()) {
      const e = entry(f);
      if (cache.lookup(e) === undefined) {
        missed.push(f);
        cache.record(e, digestOf(N + i + 1), `new${i}.`);
      }
    }
    return { saved: await cache.save(), missed };
  }

  it('leaves the document as it was for a few small edits, which the next build hashes again', async () => {
    const { dir, files, meta } = await big();
    const before = [...meta.data.values()];
    const writes = meta.writes;
    await writeFile(files[7], 'edited');
    await writeFile(files[900], 'edited too');
    const first = await rebuild(meta, dir, files);
    expect(first).toEqual({ saved: false, missed: [files[7], files[900]] });
    expect(meta.writes).toBe(writes);
    expect([...meta.data.values()]).toEqual(before);
    // The stale rows only miss: the next build hashes the two files again, nothing else.
    expect((await rebuild(meta, dir, files)).missed).toEqual([files[7], files[900]]);
  });

  it('rewrites it when the edits hold over 1 MiB, are more than 1 in 100 rows, or rows were not found', async () => {
    const { dir, files, meta } = await big();
    await writeFile(files[3], Buffer.alloc((1 << 20) + 1, 1));
    expect((await rebuild(meta, dir, files)).saved).toBe(true);
    expect((await rebuild(meta, dir, files)).missed).toEqual([]);

    for (const f of files.slice(0, 13)) await writeFile(f, 'thirteen edits: more than 1 in 100 of 1,200');
    expect((await rebuild(meta, dir, files)).saved).toBe(true);
    expect((await rebuild(meta, dir, files)).missed).toEqual([]);

    // 20 files deleted: their rows are not found, and the save drops them.
    await writeFile(files[0], 'one edit');
    for (const f of files.slice(-20)) await rm(f);
    const kept = files.slice(0, -20);
    const cache = await StatCache.load(meta, dir);
    for (const f of kept) if (cache.lookup(entry(f)) === undefined) cache.record(entry(f), digestOf(1), 'x.');
    for (let d = 0; d < 10; d++) {
      const inDir = kept.filter((f) => path.basename(path.dirname(f)) === `d${d}`);
      cache.noteListing(
        path.join(dir, `d${d}`),
        inDir.map((f) => ({ name: path.basename(f) })),
      );
    }
    expect(await cache.save()).toBe(true);
    expect(rowPaths(meta)).toHaveLength(N - 20);
  });
});

describe('read in pieces', () => {
  /** Serves meta files in `size`-byte pieces, reusing one buffer as the store does. */
  class PiecewiseMeta extends MemoryMeta {
    constructor(readonly size: number) {
      super();
    }
    pieceCounts: number[] = [];
    async writeMetaPieces(name: string, pieces: Iterable<string>): Promise<void> {
      const all = [...pieces];
      this.pieceCounts.push(all.length);
      await this.writeMeta(name, all.join(''));
    }
    async readMetaPieces(name: string): Promise<AsyncIterable<Uint8Array> | undefined> {
      const v = this.data.get(name);
      if (v === undefined) return undefined;
      const bytes = Buffer.from(v);
      const size = this.size;
      return (async function* () {
        const buf = Buffer.alloc(size);
        for (let at = 0; at < bytes.length; at += size) {
          const n = bytes.copy(buf, 0, at, at + size);
          yield buf.subarray(0, n);
        }
      })();
    }
  }

  it('finds every row whatever the pieces cut: lines, and characters of several bytes', async () => {
    const names = ['a', 'é-accent', 'b', 'ünï/x', 'c', '日本', 'tab\tx', 'z'];
    const tree: Record<string, string | null> = { ünï: null };
    for (const n of names) tree[n] = n;
    const dir = await realpath(await makeTree(tree));
    const files = names.map((n) => path.join(dir, n));
    for (const size of [1, 2, 3, 7, 64, 4096]) {
      const meta = new PiecewiseMeta(size);
      await seed(meta, dir, files);
      const cache = await StatCache.load(meta, dir);
      for (const [i, f] of [...files.entries()].reverse())
        expect(cache.lookup(entry(f))).toBe(digestOf(i + 1));
      // A save writes back every row it read, whatever chunk each came from.
      cache.record(entry(files[0]), digestOf(42), 'fp42.');
      await cache.save();
      // Rows name paths escaped (a tab as \t).
      expect(rowPaths(meta).sort()).toEqual(files.map((f) => f.replace('\t', '\\t')).sort());
      const again = await StatCache.load(meta, dir);
      expect(again.lookup(entry(files[0]))).toBe(digestOf(42));
      expect(again.lookup(entry(files[7]))).toBe(digestOf(8));
    }
  });

  it('cuts a document into pieces that add up to the lines joined', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `row ${i} ${'x'.repeat(i)}`);
    for (const chars of [1, 10, 100, 1e9]) {
      const pieces = [...inPieces(lines, chars)];
      expect(pieces.join('')).toBe(lines.join('\n'));
      if (chars <= 100) expect(pieces.length).toBeGreaterThan(1);
    }
    expect([...inPieces([])]).toEqual([]);
  });

  it('a rebuild writes the document a cold build of the same tree writes: changed, added and deleted files', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 400; i++) tree[`d${i % 4}/f${String(i).padStart(3, '0')}`] = `content ${i}`;
    const dir = await realpath(await makeTree(tree));
    const checksum = async (meta: MemoryMeta) =>
      (await (await openContext(dir, { metaStore: meta })).resolveSources(['.'])).checksum();
    // Chunks of a few rows each: runs of found rows end at chunk boundaries too.
    for (const size of [200, 1000, 1 << 20]) {
      const meta = new PiecewiseMeta(size);
      await checksum(meta);
      // Changed (the first row, one in the middle, the last), deleted, and added files.
      await writeFile(path.join(dir, 'd0/f000'), 'changed first');
      await writeFile(path.join(dir, 'd2/f202'), 'changed middle');
      await writeFile(path.join(dir, 'd3/f399'), 'changed last');
      await rm(path.join(dir, 'd1/f101'));
      await rm(path.join(dir, 'd3/f003'));
      await writeFile(path.join(dir, 'd1/f101a'), 'added');
      await writeFile(path.join(dir, 'd3/zzz'), 'added at the end');
      await writeFile(path.join(dir, 'a-first'), 'added at the start');
      const rebuilt = await checksum(meta);
      const cold = new PiecewiseMeta(size);
      expect((await checksum(cold)).digest).toBe(rebuilt.digest);
      expect([...meta.data.values()]).toEqual([...cold.data.values()]);
      // Put the tree back for the next piece size.
      for (const [rel, content] of Object.entries(tree)) await writeFile(path.join(dir, rel), content);
      for (const rel of ['d1/f101a', 'd3/zzz', 'a-first']) await rm(path.join(dir, rel));
    }
  });

  it('writes in pieces the very document a single write gives', async () => {
    const tree: Record<string, string> = {};
    // ~1,000 rows of ~150 characters and more: past two 64 Ki pieces wherever the tree is.
    for (let i = 0; i < 1000; i++) tree[`d${i % 5}/${'n'.repeat(40)}${i}`] = String(i);
    const dir = await realpath(await makeTree(tree));
    const files = Object.keys(tree).map((r) => path.join(dir, r));
    const whole = new MemoryMeta();
    const piecewise = new PiecewiseMeta(4096);
    await seed(whole, dir, files);
    await seed(piecewise, dir, files);
    expect([...piecewise.data.values()]).toEqual([...whole.data.values()]);
    // One save, written as several pieces.
    expect(piecewise.pieceCounts).toHaveLength(1);
    expect(piecewise.pieceCounts[0]).toBeGreaterThan(1);
  });
});
