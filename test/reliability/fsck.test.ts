/**
 * strata fsck on a real store (built images, a SOURCE_DATE_EPOCH build, a loaded GNU tar
 * layer, gzip blobs made by save): clean as made; then one kind of damage per case, on a
 * copy of that store, is found with its kind and path, --repair quarantines or removes it,
 * and a second fsck is clean. Needs root (RUN through runc); fails, never skips, without it.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CacheRecord } from '../../core/cache/records.js';
import { fsck } from '../../core/fsck/fsck.js';
import type { FsckReport } from '../../core/fsck/fsck-report.js';
import { normalizeRef } from '../../core/image/reference.js';
import type { ImageConfig } from '../../core/oci/types.js';
import { Store } from '../../store/store.js';
import { requireRoot, useTempDirs } from '../e2e/helpers/index.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { strata, strataOk } from '../helpers/cli.js';
import { dockerArchive, hex } from './helpers/docker-archive.js';
import { useFigures } from './helpers/figures.js';
import { problemLines } from './helpers/store-checks.js';

const tmp = useTempDirs();
const figures = useFigures(import.meta.filename);

const DOCKERFILE = `FROM busybox
COPY a.txt /a.txt
RUN cat /a.txt > /a2.txt && mkdir -p /d && echo deep > /d/f
COPY b.txt /b.txt
RUN echo run2 > /r2
`;

let golden: string;

/** A fresh copy of the golden store (cp -a keeps devices, xattrs, owners, hardlinks). */
async function copyStore(): Promise<{ root: string; store: Store }> {
  const root = join(await tmp('strata-fsck-'), 'store');
  execFileSync('cp', ['-a', golden, root]);
  return { root, store: await Store.open(root) };
}

/** fsck of a store that was just damaged on purpose: counts one fault injected. */
async function check(store: Store, faults: number): Promise<FsckReport> {
  figures.faultsInjected += faults;
  return fsck(store);
}

async function repair(store: Store): Promise<FsckReport> {
  return fsck(store, { repair: true });
}

/** fsck that must be clean (after a repair): counted in the "nothing lost" figure. */
async function clean(store: Store): Promise<FsckReport> {
  const r = await fsck(store);
  figures.fsckRan(r.problems.length === 0);
  return r;
}

async function records(store: Store): Promise<CacheRecord[]> {
  return store.listCacheRecords<CacheRecord>();
}

/** The chainIds of the image a ref names, base first. */
async function chainOf(store: Store, ref: string): Promise<string[]> {
  const target = await store.getRef(normalizeRef(ref));
  const config = await store.readJsonBlob<ImageConfig>(target!.config);
  const { chainIds } = await import('../../core/oci/digest.js');
  return chainIds(config.rootfs.diff_ids);
}

beforeAll(async () => {
  requireRoot();
  golden = join(await tmp('strata-fsck-golden-'), 'store');
  const ctx = await tmp('strata-fsck-ctx-');
  await importBusybox(golden);
  await writeFile(join(ctx, 'Dockerfile'), DOCKERFILE);
  await writeFile(join(ctx, 'a.txt'), 'alpha\n');
  await writeFile(join(ctx, 'b.txt'), 'beta\n');
  await strataOk(['build', '--root', golden, '--progress', 'plain', '-t', 'app:1', ctx]);
  // The same steps on other sources under SOURCE_DATE_EPOCH, exported with
  // rewrite-timestamp: the store then also holds the rewritten layers (RUN outputs clamped
  // to the epoch, their tars kept as blobs), which fsck must vouch for too.
  await writeFile(join(ctx, 'a.txt'), 'alpha, reproducible\n');
  await writeFile(join(ctx, 'b.txt'), 'beta, reproducible\n');
  const oci = join(await tmp('strata-fsck-oci-'), 'sde.tar');
  await strataOk(
    [
      'build',
      '--root',
      golden,
      '-t',
      'app:sde',
      '--output',
      `type=oci,dest=${oci},rewrite-timestamp=true`,
      ctx,
    ],
    { env: { SOURCE_DATE_EPOCH: '1700000000' } },
  );
  // A layer made by GNU tar (./ names, uname, directory entries): its dir cannot re-tar to
  // the same bytes, so load keeps a tar-split index and fsck must vouch for it through that.
  const src = await tmp('strata-fsck-gnu-');
  await mkdir(join(src, 'etc'));
  await writeFile(join(src, 'etc', 'motd'), 'from gnu tar\n');
  const gnu = execFileSync('tar', ['-cf', '-', '-C', src, '.']);
  const archive = join(await tmp('strata-fsck-archive-'), 'gnu.tar');
  await writeFile(archive, await dockerArchive([gnu], { tag: 'gnu:1' }));
  await strataOk(['load', '--root', golden, '-i', archive]);
  // gzip blobs recorded in layer.json.
  await strataOk([
    'save',
    '--root',
    golden,
    'app:1',
    '--compression',
    'gzip',
    '-o',
    join(await tmp('strata-fsck-save-'), 'app.tar'),
  ]);
}, 180_000);

describe('strata fsck', () => {
  it('finds nothing wrong in a store as strata made it (built, SOURCE_DATE_EPOCH, loaded, saved)', async () => {
    const store = await Store.open(golden);
    const r = await clean(store);
    expect(problemLines(r)).toEqual([]);
    expect(r.checked.refs).toBe(4);
    expect(r.checked.layers).toBeGreaterThanOrEqual(7);
    // app:sde's sources differ from its first COPY on: its four records sit beside app:1's,
    // and each of the eight has its content-keyed twin (what early cutoff looks up).
    expect(r.checked.cacheRecords).toBe(16);
    const cli = await strata(['fsck', '--root', golden]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/checked \d+ blobs, \d+ layers, 4 refs, \d+ cache records: no problems/);
  });

  it('a flipped byte in a config blob: blob-corrupt, the ref dangles; --repair quarantines and removes', async () => {
    const { root, store } = await copyStore();
    const config = (await store.getRef(normalizeRef('app:1')))!.config;
    const path = store.blobPath(config);
    const bytes = await readFile(path);
    bytes[10] ^= 0x20;
    await rm(path, { force: true });
    await writeFile(path, bytes);
    const r = await check(store, 1);
    expect(r.problems.map((p) => p.kind)).toEqual(['blob-corrupt', 'ref-config']);
    expect(r.problems[0].path).toBe(`blobs/sha256/${config.slice(7)}`);
    expect(r.problems[1].path).toMatch(/^refs\/.*app%3A1\.json$/);
    const cli = await strata(['fsck', '--root', root]);
    expect(cli.code).toBe(4);
    expect(cli.stdout).toContain('2 problems, 0 repaired, 2 remain');
    const fixed = await strata(['fsck', '--root', root, '--repair']);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/blob-corrupt .*\[quarantined to quarantine\/blobs\//);
    expect(await store.hasBlob(config)).toBe(false);
    expect(await store.getRef(normalizeRef('app:1'))).toBeUndefined();
    const q = await readdir(join(root, 'quarantine', 'blobs'));
    expect(q).toHaveLength(1);
    expect((await readFile(join(root, 'quarantine', 'blobs', q[0]))).equals(bytes)).toBe(true);
    expect(problemLines(await clean(store))).toEqual([]);
    // du shows what quarantine holds; prune --filter type=quarantine deletes only that.
    const du = (await strataOk(['du', '--root', root])).stdout;
    expect(du).toMatch(/quarantine \(fsck\)\s+1\s+[1-9][\d.]*k?B\n/);
    const layersBefore = (await store.listLayers()).length;
    const pruned = await strataOk(['prune', '--root', root, '--filter', 'type=quarantine']);
    expect(pruned.stdout).toContain('0 layers, 0 blobs, 0 cache mounts, 1 quarantined entries');
    expect(await readdir(root)).not.toContain('quarantine');
    expect((await store.listLayers()).length).toBe(layersBefore);
  });

  it('a changed file in a RUN layer: layer-diff, every layer above it and every record and ref using them', async () => {
    const { root, store } = await copyStore();
    const chain = await chainOf(store, 'app:1');
    const run1 = chain[2]; // busybox, COPY a.txt, RUN ...
    await appendFile(join(store.diffPath(run1 as `sha256:${string}`), 'a2.txt'), 'tampered');
    const r = await check(store, 1);
    const kinds = r.problems.map((p) => `${p.kind} ${p.path.split('/')[0]}`);
    expect(kinds[0]).toBe('layer-diff layers');
    expect(r.problems[0].path).toBe(`layers/${run1.slice(7)}`);
    expect(r.problems[0].detail).toMatch(
      /^diff dir tars to sha256:[0-9a-f]{64} \(\d+ bytes\), expected sha256:/,
    );
    // COPY b.txt and RUN run2 of app:1 sit on it; app:sde has layers of its own (other
    // sources), so it is untouched.
    expect(r.problems.filter((p) => p.kind === 'layer-parent')).toHaveLength(2);
    expect(r.problems.filter((p) => p.kind === 'ref-layer').map((p) => p.path)).toEqual([
      expect.stringMatching(/app%3A1\.json$/),
    ]);
    // Three step records name it or a layer on it, and so do their three content-keyed twins.
    expect(r.problems.filter((p) => p.kind === 'cache-layer')).toHaveLength(6);
    const fixed = await repair(store);
    expect(fixed.remaining).toBe(0);
    expect(await readdir(join(root, 'quarantine', 'layers'))).toHaveLength(3);
    expect(problemLines(await clean(store))).toEqual([]);
    // What did not sit on it still stands.
    expect(await store.getRef(normalizeRef('busybox:latest'))).toBeDefined();
    expect(await store.getRef(normalizeRef('gnu:1'))).toBeDefined();
  });

  it('a layer.json whose diffId was edited: layer-chain; a lower file edited: layer-lower', async () => {
    const { store } = await copyStore();
    const chain = await chainOf(store, 'app:1');
    const top = chain[4] as `sha256:${string}`;
    const rec = JSON.parse(await readFile(join(store.layerPath(top), 'layer.json'), 'utf8'));
    rec.diffId = `sha256:${hex('not this')}`;
    await writeFile(join(store.layerPath(top), 'layer.json'), JSON.stringify(rec));
    const mid = chain[3] as `sha256:${string}`;
    await writeFile(join(store.layerPath(mid), 'lower'), chain[0].slice(7));
    const r = await check(store, 2);
    const byPath = new Map(r.problems.map((p) => [p.path, p.kind]));
    expect(byPath.get(`layers/${mid.slice(7)}`)).toBe('layer-lower');
    // top's parent (mid) is damaged, which is found first (parents before children).
    expect(byPath.get(`layers/${top.slice(7)}`)).toMatch(/^layer-(chain|parent)$/);
    expect((await repair(store)).remaining).toBe(0);
    expect(problemLines(await clean(store))).toEqual([]);
  });

  it('cache records: unparseable, keyInputs edited, files blob gone, result layer gone', async () => {
    const { root, store } = await copyStore();
    const recs = await records(store);
    const copies = recs.filter((r) => r.filesBlob !== undefined);
    const runs = recs.filter((r) => r.filesBlob === undefined && r.result.chainId !== undefined);
    expect(copies.length).toBeGreaterThanOrEqual(2);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    const file = (k: string) => join(root, 'cache', `${k.slice(7)}.json`);
    await writeFile(file(copies[0].key), '{"key": "sha256:');
    const edited = { ...runs[0], keyInputs: { ...runs[0].keyInputs, op: { kind: 'run', cmd: 'evil' } } };
    await writeFile(file(runs[0].key), JSON.stringify(edited));
    await rm(store.blobPath(copies[1].filesBlob!));
    const gone = runs[1];
    await rm(store.layerPath(gone.result.chainId!), { recursive: true });
    const r = await check(store, 4);
    const kinds = new Map(r.problems.map((p) => [p.path, p.kind]));
    expect(kinds.get(`cache/${copies[0].key.slice(7)}.json`)).toBe('cache-record');
    expect(kinds.get(`cache/${runs[0].key.slice(7)}.json`)).toBe('cache-key');
    expect(kinds.get(`cache/${copies[1].key.slice(7)}.json`)).toBe('cache-files');
    expect(kinds.get(`cache/${gone.key.slice(7)}.json`)).toBe('cache-layer');
    const fixed = await repair(store);
    expect(fixed.remaining).toBe(0);
    expect((await readdir(join(root, 'quarantine', 'cache'))).length).toBe(2);
    expect(await store.getCacheRecord(copies[1].key)).toBeUndefined();
    expect(problemLines(await clean(store))).toEqual([]);
  });

  it('a ref to a config that is not in the store, a ref file that is not json, a stray blob', async () => {
    const { root, store } = await copyStore();
    await store.setRef('ghost:1', { config: `sha256:${hex('no such config')}` });
    await writeFile(join(root, 'refs', 'broken.json'), 'nope');
    await writeFile(join(root, 'blobs', 'sha256', 'stray'), 'x');
    const r = await check(store, 3);
    expect(r.problems.map((p) => `${p.kind} ${p.path}`).sort()).toEqual(
      [
        'blob-stray blobs/sha256/stray',
        'ref-config refs/ghost%3A1.json',
        'ref-record refs/broken.json',
      ].sort(),
    );
    expect((await repair(store)).remaining).toBe(0);
    expect(await store.getRef('ghost:1')).toBeUndefined();
    expect(problemLines(await clean(store))).toEqual([]);
  });

  it('a gzip blob listed in layer.json but deleted: layer-blob-missing, repaired by dropping the entry', async () => {
    const { store } = await copyStore();
    const layers = await store.listLayers();
    const built = layers.find((l) => l.compressed.some((c) => c.mediaType.endsWith('gzip')) && l.parent);
    expect(built).toBeDefined();
    const gz = built!.compressed.find((c) => c.mediaType.endsWith('gzip'))!;
    await rm(store.blobPath(gz.digest));
    const r = await check(store, 1);
    expect(problemLines(r)).toEqual([
      `layer-blob-missing layers/${built!.chainId.slice(7)}/layer.json: lists blob ${gz.digest}, which is missing or corrupt`,
    ]);
    const fixed = await repair(store);
    expect(fixed.problems[0].repaired).toEqual({ action: 'rewritten' });
    expect((await store.getLayer(built!.chainId))!.compressed.map((c) => c.digest)).not.toContain(gz.digest);
    expect(problemLines(await clean(store))).toEqual([]);
  });

  it('a loaded GNU tar layer is vouched for by its tar-split index, and a change to its dir is still found', async () => {
    const { store } = await copyStore();
    const [gnuLayer] = await chainOf(store, 'gnu:1');
    const rec = await store.getLayer(gnuLayer as `sha256:${string}`);
    expect(rec!.tarSplit).toBeDefined();
    expect(rec!.compressed).toEqual([]);
    // Same size, other bytes: only the hash of the replayed tar can tell.
    await writeFile(join(store.diffPath(rec!.chainId), 'etc', 'motd'), 'from gnu taR\n');
    const r = await check(store, 1);
    expect(r.problems[0]).toMatchObject({ kind: 'layer-diff', path: `layers/${gnuLayer.slice(7)}` });
    expect(r.problems[0].detail).toMatch(
      /^diff dir with its tar-split index gives sha256:[0-9a-f]{64}, expected sha256:[0-9a-f]{64}$/,
    );
    expect((await stat(store.diffPath(rec!.chainId))).isDirectory()).toBe(true);
  });

  it('a loaded layer whose tar-split index was changed: layer-diff naming the index', async () => {
    const { store } = await copyStore();
    const [gnuLayer] = await chainOf(store, 'gnu:1');
    const index = store.tarSplitPath(gnuLayer as `sha256:${string}`);
    const bytes = await readFile(index);
    bytes[bytes.length - 5] ^= 0xff;
    await writeFile(index, bytes);
    const r = await check(store, 1);
    expect(r.problems[0]).toMatchObject({ kind: 'layer-diff', path: `layers/${gnuLayer.slice(7)}` });
    // gzip's own check or the recorded digest finds it, whichever reads the damage first.
    expect(r.problems[0].detail).toMatch(
      /tar-split index( is damaged \(incorrect data check\)| of sha256:[0-9a-f]{64}: content is sha256:)/,
    );
  });
});
