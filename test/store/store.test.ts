import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chainId,
  type Digest,
  DigestMismatchError,
  InvalidInputError,
  NotFoundError,
  sha256,
} from '../../core/oci/index.js';
import { Store } from '../../store/index.js';

async function freshStore(): Promise<Store> {
  return Store.open(await mkdtemp(join(tmpdir(), 'strata-store-')));
}

/** A pid that certainly belonged to a process that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

const hex = (d: Digest) => d.slice(7);

describe('Store root', () => {
  it('picks STRATA_ROOT, then XDG_DATA_HOME/strata, then ~/.local/share/strata', () => {
    expect(Store.defaultRoot({ STRATA_ROOT: '/x/y', XDG_DATA_HOME: '/d', HOME: '/h' })).toBe('/x/y');
    expect(Store.defaultRoot({ XDG_DATA_HOME: '/d', HOME: '/h' })).toBe('/d/strata');
    expect(Store.defaultRoot({ HOME: '/h' })).toBe('/h/.local/share/strata');
  });

  it('creates the layout with mode 0700, using the environment when no root is given', async () => {
    const base = await mkdtemp(join(tmpdir(), 'strata-root-'));
    const store = await Store.open(undefined, { XDG_DATA_HOME: base });
    expect(store.root).toBe(join(base, 'strata'));
    expect((await stat(store.root)).mode & 0o777).toBe(0o700);
    expect((await readdir(store.root)).sort()).toEqual(
      ['blobs', 'builds', 'cache', 'cachemounts', 'ingest', 'layers', 'locks', 'meta', 'refs'].sort(),
    );
  });
});

describe('opening a store where it cannot be', () => {
  it('names the root and the reason when a file is in the way, as bad input', async () => {
    const base = await mkdtemp(join(tmpdir(), 'strata-root-'));
    await writeFile(join(base, 'file'), 'not a directory');
    const err = await Store.open(join(base, 'file', 'store')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toBe(
      `open store ${join(base, 'file', 'store')}: ENOTDIR: cannot create or write it (choose another with --root or STRATA_ROOT)`,
    );
  });
});

describe('layers', () => {
  async function commit(store: Store, files: Record<string, string>, parent?: Digest) {
    const staged = await store.makeStagingDir();
    for (const [name, body] of Object.entries(files)) await writeFile(join(staged, name), body);
    const diffId = sha256(JSON.stringify(files)); // stands in for the tar digest
    return store.commitLayer(staged, { chainId: chainId(parent, diffId), diffId, parent, size: 10 });
  }

  it('commits a chain with diff/, lower (nearest first) and layer.json', async () => {
    const store = await freshStore();
    const l1 = await commit(store, { a: '1' });
    const l2 = await commit(store, { b: '2' }, l1.chainId);
    const l3 = await commit(store, { c: '3' }, l2.chainId);
    expect(await readdir(store.diffPath(l3.chainId))).toEqual(['c']);
    expect(await readFile(join(store.diffPath(l2.chainId), 'b'), 'utf8')).toBe('2');
    expect(await readFile(join(store.layerPath(l3.chainId), 'lower'), 'utf8')).toBe(
      `${hex(l2.chainId)}:${hex(l1.chainId)}`,
    );
    expect(await readFile(join(store.layerPath(l1.chainId), 'lower'), 'utf8')).toBe('');
    expect(await store.lowerChain(l3.chainId)).toEqual([l2.chainId, l1.chainId]);
    const onDisk = JSON.parse(await readFile(join(store.layerPath(l2.chainId), 'layer.json'), 'utf8'));
    expect(onDisk).toEqual({ ...l2 });
    expect(l2.parent).toBe(l1.chainId);
    expect(l2.chainId).toBe(sha256(`${l1.chainId} ${l2.diffId}`));
    expect(await store.getLayer(l2.chainId)).toEqual(l2);
    expect((await store.listLayers()).map((l) => l.chainId).sort()).toEqual(
      [l1.chainId, l2.chainId, l3.chainId].sort(),
    );
    // No staging or temp entries remain beside the layer dirs.
    expect((await readdir(join(store.root, 'layers'))).sort()).toEqual(
      [l1, l2, l3].map((l) => hex(l.chainId)).sort(),
    );
  });

  it('is idempotent: a second commit of a present layer returns the first record and drops its dir', async () => {
    const store = await freshStore();
    const first = await commit(store, { a: 'original' });
    const again = await commit(store, { a: 'original' });
    expect(again).toEqual(first);
    expect(await readdir(join(store.root, 'layers'))).toEqual([hex(first.chainId)]);
  });

  it('refuses an inconsistent chainID and a missing parent', async () => {
    const store = await freshStore();
    const staged = await store.makeStagingDir();
    const diffId = sha256('d');
    await expect(store.commitLayer(staged, { chainId: sha256('x'), diffId, size: 1 })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    const parent = sha256('absent parent');
    await expect(
      store.commitLayer(staged, { chainId: chainId(parent, diffId), diffId, parent, size: 1 }),
    ).rejects.toThrow(
      new NotFoundError(`commit layer ${chainId(parent, diffId)}: parent ${parent} not in store`),
    );
    expect(await store.listLayers()).toEqual([]);
    expect(await readdir(join(store.root, 'layers'))).toEqual([]); // the staged dir went too
  });

  it('tolerates a missing layer.json but names the file of a corrupt one', async () => {
    const store = await freshStore();
    expect(await store.getLayer(sha256('nothing'))).toBeUndefined();
    const l = await commit(store, { a: '1' });
    const file = join(store.layerPath(l.chainId), 'layer.json');
    await writeFile(file, '{"chainId": tr');
    const err = await store.getLayer(l.chainId).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(String(err.message)).toContain(file);
  });

  it('remembers compressed forms once each, only for present blobs', async () => {
    const store = await freshStore();
    const l = await commit(store, { a: '1' });
    const blob = await store.putBlob('pretend gzip');
    const c = { ...blob, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
    await store.addCompressed(l.chainId, c);
    await store.addCompressed(l.chainId, c);
    expect((await store.getLayer(l.chainId))?.compressed).toEqual([c]);
    await expect(store.addCompressed(l.chainId, { ...c, digest: sha256('nope') })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(store.addCompressed(sha256('no layer'), c)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('loses no compressed form when several are added at once', async () => {
    const store = await freshStore();
    const l = await commit(store, { a: '1' });
    const forms = await Promise.all(
      ['gzip', 'zstd', 'gzip-9', 'estargz', 'nydus'].map(async (kind) => ({
        ...(await store.putBlob(`compressed as ${kind}`)),
        mediaType: `application/x-${kind}`,
      })),
    );
    await Promise.all(forms.map((f) => store.addCompressed(l.chainId, f)));
    const got = (await store.getLayer(l.chainId))?.compressed ?? [];
    expect(got.map((c) => c.mediaType).sort()).toEqual(forms.map((f) => f.mediaType).sort());
  });

  it('removes layers idempotently', async () => {
    const store = await freshStore();
    const l = await commit(store, { a: '1' });
    await store.removeLayer(l.chainId);
    await store.removeLayer(l.chainId);
    expect(await store.getLayer(l.chainId)).toBeUndefined();
    expect(await readdir(join(store.root, 'layers'))).toEqual([]);
  });

  it('reports layer, blob, cache-record and cache-mount usage', async () => {
    const store = await freshStore();
    const l = await commit(store, { a: '12345' });
    const b = await store.putBlob('xyz');
    await store.putCacheRecord({ key: sha256('k') });
    const mount = await store.ensureCacheMount('npm');
    await writeFile(join(mount, 'f'), 'abcdefgh');
    const du = await store.du();
    expect(du.blobs).toEqual([b]);
    expect(du.cacheRecords).toBe(1);
    expect(du.cacheMounts).toEqual([{ id: 'npm', path: mount, size: 8, lastUsedMs: expect.any(Number) }]);
    expect(du.cacheMounts[0].lastUsedMs).toBeGreaterThan(0);
    const lowerAndJson =
      (await stat(join(store.layerPath(l.chainId), 'layer.json'))).size +
      (await stat(join(store.layerPath(l.chainId), 'lower'))).size;
    expect(du.layers).toEqual([{ chainId: l.chainId, size: 5 + lowerAndJson }]);
  });
});

describe('cache records', () => {
  it('round-trips, lists, replaces and removes records', async () => {
    const store = await freshStore();
    const k1 = sha256('key one');
    const k2 = sha256('key two');
    expect(await store.getCacheRecord(k1)).toBeUndefined();
    await store.putCacheRecord({ key: k1, op: 'RUN echo 1', inputs: ['a'] } as { key: Digest });
    await store.putCacheRecord({ key: k2, result: 'x' } as { key: Digest });
    await store.putCacheRecord({ key: k1, op: 'RUN echo 1', inputs: ['b'] } as { key: Digest });
    expect(await store.getCacheRecord(k1)).toEqual({ key: k1, op: 'RUN echo 1', inputs: ['b'] });
    expect(await readFile(join(store.root, 'cache', `${hex(k1)}.json`), 'utf8')).toContain('"inputs"');
    expect((await store.listCacheRecords()).map((r) => r.key).sort()).toEqual([k1, k2].sort());
    await store.removeCacheRecord(k1);
    await store.removeCacheRecord(k1);
    expect(await store.listCacheRecords()).toEqual([{ key: k2, result: 'x' }]);
    expect(await readdir(join(store.root, 'cache'))).toEqual([`${hex(k2)}.json`]);
  });

  it('names the file of a corrupt record', async () => {
    const store = await freshStore();
    const k = sha256('k');
    const file = join(store.root, 'cache', `${hex(k)}.json`);
    await writeFile(file, 'not json');
    await expect(store.getCacheRecord(k)).rejects.toThrow(file);
    await expect(store.getCacheRecord(k)).rejects.toBeInstanceOf(DigestMismatchError);
  });

  it('refuses a key that is not a digest', async () => {
    const store = await freshStore();
    await expect(store.putCacheRecord({ key: 'sha256:../../x' as Digest })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });
});

describe('refs', () => {
  it('sets, replaces, lists (sorted) and deletes refs with any reference syntax', async () => {
    const store = await freshStore();
    const cfg1 = sha256('config 1');
    const cfg2 = sha256('config 2');
    const manifest = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256('m'),
      size: 3,
    };
    await store.setRef('registry.example:5000/team/app:1.0', { config: cfg1, manifest });
    await store.setRef('alpine:latest', { config: cfg1, created: '2024-01-01T00:00:00Z' });
    await store.setRef('alpine:latest', { config: cfg2 });
    expect(await store.getRef('alpine:latest')).toEqual({ config: cfg2 });
    expect(await store.getRef('registry.example:5000/team/app:1.0')).toEqual({ config: cfg1, manifest });
    expect(await store.getRef('missing')).toBeUndefined();
    expect(await store.listRefs()).toEqual([
      { name: 'alpine:latest', target: { config: cfg2 } },
      { name: 'registry.example:5000/team/app:1.0', target: { config: cfg1, manifest } },
    ]);
    expect(await store.deleteRef('alpine:latest')).toBe(true);
    expect(await store.deleteRef('alpine:latest')).toBe(false);
    expect((await store.listRefs()).map((r) => r.name)).toEqual(['registry.example:5000/team/app:1.0']);
  });

  it('leaves a ref that already says the same untouched (a no-op rebuild re-tags)', async () => {
    const store = await freshStore();
    const cfg = sha256('config');
    await store.setRef('app:1', { config: cfg });
    const [file] = (await readdir(join(store.root, 'refs'))).filter((f) => f.endsWith('.json'));
    const before = await stat(join(store.root, 'refs', file));
    await store.setRef('app:1', { config: cfg });
    // A rewrite renames a new file into place: another inode.
    expect((await stat(join(store.root, 'refs', file))).ino).toBe(before.ino);
    await store.setRef('app:1', { config: sha256('other') });
    expect((await stat(join(store.root, 'refs', file))).ino).not.toBe(before.ino);
    expect(await store.getRef('app:1')).toEqual({ config: sha256('other') });
  });

  it('keeps every name inside refs/, whatever its characters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), async (name) => {
        fc.pre(!name.includes('\0'));
        const store = await freshStore();
        await store.setRef(name, { config: sha256(name) });
        expect(await store.getRef(name)).toEqual({ config: sha256(name) });
        const files = await readdir(join(store.root, 'refs'));
        expect(files).toHaveLength(1);
        expect(files[0]?.startsWith('.')).toBe(false);
        expect(await store.listRefs()).toEqual([{ name, target: { config: sha256(name) } }]);
      }),
      { numRuns: 40 },
    );
    const store = await freshStore();
    for (const evil of ['..', '.', '../../etc/passwd', '/abs']) {
      await store.setRef(evil, { config: sha256(evil) });
      expect(await store.getRef(evil)).toEqual({ config: sha256(evil) });
    }
    expect(await readdir(join(store.root, 'refs'))).toHaveLength(4);
  });
});

describe('cache mounts', () => {
  it('hashes ids into cachemounts/, so "../../etc" stays inside', async () => {
    const store = await freshStore();
    const p = await store.ensureCacheMount('../../etc');
    expect(p).toBe(join(store.root, 'cachemounts', hex(sha256('../../etc'))));
    expect(store.cacheMountPath('../../etc')).toBe(p);
    expect((await lstat(p)).isDirectory()).toBe(true);
    expect((await readdir(join(store.root, 'cachemounts'))).sort()).toEqual(
      [hex(sha256('../../etc')), `${hex(sha256('../../etc'))}.json`].sort(),
    );
  });

  it('creates with the requested mode and owner once, keeps content, lists with the original id', async () => {
    const store = await freshStore();
    const p = await store.ensureCacheMount('go-build', { mode: 0o750, uid: 1234, gid: 4321 });
    const st = await stat(p);
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o750, 1234, 4321]);
    await writeFile(join(p, 'obj'), 'cached');
    expect(await store.ensureCacheMount('go-build', { mode: 0o700 })).toBe(p);
    expect((await stat(p)).mode & 0o777).toBe(0o750);
    expect(await readFile(join(p, 'obj'), 'utf8')).toBe('cached');
    await store.ensureCacheMount('other');
    const list = await store.listCacheMounts();
    expect(list.map((m) => [m.id, m.size]).sort()).toEqual([
      ['go-build', 6],
      ['other', 0],
    ]);
  });

  it('removes by id or by path', async () => {
    const store = await freshStore();
    const a = await store.ensureCacheMount('a');
    const b = await store.ensureCacheMount('b');
    await mkdir(join(b, 'sub'));
    await store.removeCacheMount('a');
    await store.removeCacheMount(b);
    await store.removeCacheMount('a');
    expect(await readdir(join(store.root, 'cachemounts'))).toEqual([]);
    await expect(stat(a)).rejects.toThrow(/ENOENT/);
    await expect(store.removeCacheMount(join(store.root, 'cachemounts', 'nothex'))).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });

  it('keeps a cache mount a live process uses, and frees it on release or when that process is dead', async () => {
    const store = await freshStore();
    const use = await store.useCacheMount('npm');
    await writeFile(join(use.path, 'pkg'), 'x');
    expect(await store.removeCacheMount('npm')).toBe(false);
    expect(await readdir(use.path)).toEqual(['pkg']);
    await use.release();
    await use.release();
    expect(await store.removeCacheMount('npm')).toBe(true);
    await expect(stat(use.path)).rejects.toThrow(/ENOENT/);
    // A user that died without releasing (kill -9) does not hold the mount.
    const again = await store.useCacheMount('npm');
    const users = `${again.path}.users`;
    const [mine] = await readdir(users);
    await writeFile(join(users, mine.replace(/^\d+/, String(deadPid()))), '');
    await again.release();
    expect(await store.removeCacheMount('npm')).toBe(true);
    expect(await readdir(join(store.root, 'cachemounts'))).toEqual([]);
  });
});

describe('meta files', () => {
  it('replaces small state files atomically and reads missing ones as undefined', async () => {
    const store = await freshStore();
    expect(await store.readMeta('stat-cache')).toBeUndefined();
    await store.writeMeta('stat-cache', 'v1');
    await store.writeMeta('stat-cache', new Uint8Array([1, 2, 3]));
    expect(await store.readMeta('stat-cache')).toEqual(Buffer.from([1, 2, 3]));
    await store.writeMeta('../escape', 'x');
    expect((await readdir(join(store.root, 'meta'))).sort()).toEqual(['%2E.%2Fescape', 'stat-cache']);
  });

  it('stages a blob in ingest/: published on publish(), gone without a trace on discard()', async () => {
    const store = await freshStore();
    const kept = await store.stageBlob('kept list');
    expect(await store.hasBlob(kept.digest)).toBe(false);
    expect(await kept.publish()).toBe(sha256('kept list'));
    expect((await store.readBlob(kept.digest)).toString()).toBe('kept list');
    const dropped = await store.stageBlob('a list of a step that failed');
    await dropped.discard();
    expect(await store.hasBlob(dropped.digest)).toBe(false);
    expect(await readdir(join(store.root, 'ingest'))).toEqual([]);
    // A blob the store has is not written again, and discarding that handle removes nothing.
    const again = await store.stageBlob('kept list');
    await again.discard();
    expect(await store.hasBlob(kept.digest)).toBe(true);
  });

  it('stages a blob given in pieces: hashed and written as they come, nothing left when they fail', async () => {
    const store = await freshStore();
    // Many pieces, some multi-byte, more than the stream buffers at once (backpressure).
    const pieces = Array.from({ length: 400 }, (_, i) => `row ${i} é ${'x'.repeat(i * 97)}\n`);
    const staged = await store.stageBlobPieces(pieces);
    expect(staged.digest).toBe(sha256(pieces.join('')));
    expect(await store.hasBlob(staged.digest)).toBe(false);
    expect(await staged.publish()).toBe(staged.digest);
    expect((await store.readBlob(staged.digest)).toString()).toBe(pieces.join(''));
    // A piece that cannot be made (the generator throws) stages nothing and leaves nothing.
    function* torn(): Generator<string> {
      yield 'first piece\n';
      throw new Error('row source failed');
    }
    await expect(store.stageBlobPieces(torn())).rejects.toThrow('row source failed');
    const again = await store.stageBlobPieces(['another']);
    await again.discard();
    expect(await readdir(join(store.root, 'ingest'))).toEqual([]);
    expect(await store.hasBlob(again.digest)).toBe(false);
  });

  it('reads a meta file in pieces that add up to the file, and a missing one as undefined', async () => {
    const store = await freshStore();
    expect(await store.readMetaPieces('big')).toBeUndefined();
    const data = Buffer.alloc((9 << 20) + 1234);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    await store.writeMeta('big', data);
    const pieces = await store.readMetaPieces('big');
    const got: Buffer[] = [];
    // The store reuses one buffer: each piece is copied before the next is asked for.
    for await (const p of pieces ?? []) got.push(Buffer.from(p));
    expect(got.length).toBeGreaterThan(1);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    // And written in pieces: the file is their concatenation, replaced at once.
    await store.writeMetaPieces('big', ['first ', 'second ', 'é third']);
    expect((await store.readMeta('big'))?.toString('utf8')).toBe('first second é third');
    expect((await readdir(join(store.root, 'meta'))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('lists meta files by prefix with size and mtime, never a write in progress; removes one', async () => {
    const store = await freshStore();
    await store.writeMeta('build-a.json', 'aa');
    await store.writeMeta('build-b/x.json', 'b');
    await store.writeMeta('image-c.json', 'c');
    await writeFile(join(store.root, 'meta', '.tmp-123-build-d.json'), 'partial');
    const listed = await store.listMeta('build-');
    expect(listed.map((m) => [m.name, m.size]).sort()).toEqual([
      ['build-a.json', 2],
      ['build-b/x.json', 1],
    ]);
    expect(Math.abs(listed[0].mtimeMs - Date.now())).toBeLessThan(60_000);
    // Access times too (what a read moves and a listing does not: core/gc/meta-caches.ts).
    const old = new Date(Date.now() - 86_400_000 * 3);
    await utimes(join(store.root, 'meta', 'image-c.json'), old, new Date());
    const [c] = await store.listMeta('image-');
    expect(Math.round(c.atimeMs)).toBe(old.getTime());
    expect(Math.round((await store.listMeta('image-'))[0].atimeMs)).toBe(old.getTime());
    expect(await store.removeMeta('build-b/x.json')).toBe(true);
    expect(await store.removeMeta('build-b/x.json')).toBe(false);
    expect((await store.listMeta('')).map((m) => m.name).sort()).toEqual(['build-a.json', 'image-c.json']);
  });
});

describe('stale entries', () => {
  it('open() removes temp entries of dead owners and keeps live ones and real content', async () => {
    const root = await mkdtemp(join(tmpdir(), 'strata-stale-'));
    const store = await Store.open(root);
    const dead = deadPid();
    const blob = await store.putBlob('kept');
    const liveIngest = await store.ingest();
    liveIngest.stream.write('in progress');
    const liveStaging = await store.makeStagingDir();
    const deadIngest = join(root, 'ingest', `${dead}.0.0123456789abcdef`);
    const deadStaging = join(root, 'layers', `.staging-${dead}.0.0123456789abcdef`);
    const deadTmp = join(root, 'cache', `.tmp-${dead}.0.0123456789abcdef`);
    await writeFile(deadIngest, 'half a blob');
    await mkdir(join(deadStaging, 'diff'), { recursive: true });
    await writeFile(deadTmp, '{');
    await writeFile(join(root, 'cache', 'unrelated.txt'), 'not ours to judge');

    await Store.open(root);
    expect(await readdir(join(root, 'ingest'))).toEqual([liveIngest.path.split('/').pop()]);
    expect(await readdir(join(root, 'layers'))).toEqual([liveStaging.split('/').at(-2)]);
    expect(await readdir(join(root, 'cache'))).toEqual(['unrelated.txt']);
    expect(await store.readBlob(blob.digest)).toEqual(Buffer.from('kept'));
    await liveIngest.commit();
    expect(await store.readBlob(sha256('in progress'))).toEqual(Buffer.from('in progress'));
  });
});
