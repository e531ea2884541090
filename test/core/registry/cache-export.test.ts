/**
 * Shared cache through a local OCI layout: a real build (FROM scratch + COPY, no runtime
 * needed) in one store, exportCache, importCache into a fresh store, and the plan there hits
 * every step. Tampered exports are refused.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CacheRecord } from '../../../core/cache/records.js';
import { build } from '../../../core/exec/build.js';
import { sha256 } from '../../../core/oci/digest.js';
import { exportCache } from '../../../core/registry/cache-export.js';
import { importCache } from '../../../core/registry/cache-import.js';
import { parseCacheSpec } from '../../../core/registry/cache-spec.js';
import { Store } from '../../../store/index.js';

let tmp: string;
let ctx: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'strata-cache-'));
  ctx = join(tmp, 'ctx');
  await mkdir(join(ctx, 'src'), { recursive: true });
  await writeFile(join(ctx, 'src/a.txt'), 'alpha\n');
  await writeFile(join(ctx, 'b.txt'), 'beta\n');
  await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY src/ /app/\nCOPY b.txt /app/b.txt\nENV X=1\n');
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

function buildIn(store: Store, dryRun: boolean) {
  return build(store, {
    contextDir: ctx,
    tags: ['cache/test:1'],
    buildArgs: {},
    noCache: false,
    dryRun,
    secrets: [],
    platform: 'linux/amd64',
    env: {},
    progress: () => {},
  });
}

it('parses cache specs', () => {
  expect(parseCacheSpec('type=registry,ref=localhost:5000/c:1,mounts=true')).toEqual({
    location: { type: 'registry', ref: 'localhost:5000/c:1' },
    mounts: true,
  });
  expect(parseCacheSpec('type=local,src=/tmp/x')).toEqual({
    location: { type: 'local', dir: '/tmp/x' },
    mounts: false,
  });
  expect(() => parseCacheSpec('type=s3,bucket=x')).toThrow(/unknown field bucket|type must be/);
  expect(() => parseCacheSpec('type=local')).toThrow(/needs dest=/);
});

it('exports records, layers and cache mounts, and a fresh store plans only hits after import', async () => {
  const a = await Store.open(join(tmp, 'a'));
  const first = await buildIn(a, false);
  expect(first.imageId).toBeDefined();
  const mount = await a.ensureCacheMount('go-build');
  await writeFile(join(mount, 'cached.bin'), 'warm cache\n');

  const dir = join(tmp, 'layout');
  const out = await exportCache(a, { type: 'local', dir }, { mounts: true });
  expect(out.records).toBe((await a.listCacheRecords()).length);
  expect(out.layers).toBe(2);
  expect(out.mounts).toBe(1);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  expect(index.manifests[0].digest).toBe(out.manifest.digest);

  const b = await Store.open(join(tmp, 'b'));
  const before = await buildIn(b, true);
  expect(before.plan.stages[0].steps.some((s) => !s.decision.hit)).toBe(true);
  const got = await importCache(b, { type: 'local', dir }, { mounts: true });
  expect(got).toMatchObject({ records: out.records, layers: 2, mounts: 1 });
  expect(await readFile(join(b.cacheMountPath('go-build'), 'cached.bin'), 'utf8')).toBe('warm cache\n');
  const plan = (await buildIn(b, true)).plan;
  expect(plan.stages[0].steps.map((s) => s.decision.hit)).toEqual(plan.stages[0].steps.map(() => true));
  const second = await buildIn(b, false);
  expect(second.imageId).toBe(first.imageId);
  // Importing again changes nothing and writes nothing new.
  expect(await importCache(b, { type: 'local', dir })).toMatchObject({ records: 0, layers: 0, mounts: 0 });
});

it('refuses a record whose key is not the hash of its inputs, writing no records', async () => {
  const a = await Store.open(join(tmp, 'a'));
  const dir = join(tmp, 'poisoned');
  await exportCache(a, { type: 'local', dir });
  // Rewrite the config so one record claims another step's result, and re-hash the chain
  // of descriptors above it, as an attacker with write access to the cache would.
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  const blob = (d: string) => join(dir, 'blobs/sha256', d.slice(7));
  const manifest = JSON.parse(await readFile(blob(index.manifests[0].digest), 'utf8'));
  const config = JSON.parse(await readFile(blob(manifest.config.digest), 'utf8'));
  const victim = config.records.findLast((r: CacheRecord) => r.result.chainId !== undefined) as CacheRecord;
  victim.keyInputs.inputs = { ...victim.keyInputs.inputs, content: sha256('evil') };
  const put = async (data: string) => {
    const d = sha256(data);
    await writeFile(blob(d), data);
    return { digest: d, size: Buffer.byteLength(data) };
  };
  manifest.config = { ...manifest.config, ...(await put(JSON.stringify(config))) };
  index.manifests[0] = { ...index.manifests[0], ...(await put(JSON.stringify(manifest))) };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));

  const c = await Store.open(join(tmp, 'c'));
  await expect(importCache(c, { type: 'local', dir })).rejects.toMatchObject({
    code: 'E_DIGEST_MISMATCH',
    message: expect.stringMatching(/is not the key of its own inputs/),
  });
  expect(await c.listCacheRecords()).toEqual([]);
});

/** The path of the first layer blob of the cache layout at `dir`. */
async function firstLayerBlob(dir: string): Promise<string> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  const manifest = JSON.parse(
    await readFile(join(dir, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'),
  );
  return join(dir, 'blobs/sha256', manifest.layers[0].digest.slice(7));
}

it('refuses a layer blob that is not what its descriptor says', async () => {
  const a = await Store.open(join(tmp, 'a'));
  const dir = join(tmp, 'corrupt');
  await exportCache(a, { type: 'local', dir });
  const layer = await firstLayerBlob(dir);
  const bytes = await readFile(layer);
  bytes[bytes.length - 10] ^= 0xff;
  await writeFile(layer, bytes);
  const d = await Store.open(join(tmp, 'd'));
  await expect(importCache(d, { type: 'local', dir })).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
  expect(await d.listLayers()).toEqual([]);
  expect(await d.listBlobs()).toEqual([]);
});

it('refuses a layer blob that is a symlink to /dev/zero, writing nothing', { timeout: 10_000 }, async () => {
  const a = await Store.open(join(tmp, 'a'));
  const dir = join(tmp, 'zero');
  await exportCache(a, { type: 'local', dir });
  const layer = await firstLayerBlob(dir);
  await rm(layer);
  await symlink('/dev/zero', layer);
  const e = await Store.open(join(tmp, 'e'));
  await expect(importCache(e, { type: 'local', dir })).rejects.toThrow(/is a symlink/);
  expect(await e.listBlobs()).toEqual([]);
  expect(await readdir(join(e.root, 'ingest'))).toEqual([]);
});
