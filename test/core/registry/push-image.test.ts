/** pushImage against the fake registry: upload protocol details and a registry that lies. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { chainId, type Digest, sha256 } from '../../../core/oci/digest.js';
import { MediaType } from '../../../core/oci/media-types.js';
import { pushImage } from '../../../core/registry/push-image.js';
import { Store } from '../../../store/index.js';
import { FakeRegistry } from './fake-registry.js';

let reg: FakeRegistry;
let root: string;
let store: Store;
let config: Digest;
let lie = false;
let failPatch = false;
const opts = { credentials: null, retryDelayMs: 1 } as const;

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-push-'));
  store = await Store.open(root);
  const dir = await store.makeStagingDir();
  await writeFile(join(dir, 'data.bin'), Buffer.alloc(100_000, 1));
  const { diffId, size } = await writeLayerTar(dir, null);
  await store.commitLayer(dir, { chainId: chainId(undefined, diffId), diffId, size });
  const cfg = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } };
  config = (await store.putBlob(JSON.stringify(cfg))).digest;

  reg = await FakeRegistry.start();
  const uploads = new Map<string, Buffer[]>();
  let next = 0;
  reg.hook = async (req, res, url) => {
    const p = url.pathname;
    if (req.method === 'POST' && p.endsWith('/blobs/uploads/')) {
      const id = `u${next++}`;
      uploads.set(id, []);
      // Relative Location with a query of its own, as distribution sends `_state`.
      res.writeHead(202, { location: `${p}${id}?_state=abc` }).end();
      return true;
    }
    const m = /\/blobs\/uploads\/(u\d+)$/.exec(p);
    if (m !== null) {
      const parts = uploads.get(m[1])!;
      const data = await body(req);
      if (req.method === 'DELETE') {
        uploads.delete(m[1]);
        res.writeHead(204).end();
        return true;
      }
      if (req.method === 'PATCH') {
        if (failPatch) {
          res.writeHead(500).end();
          return true;
        }
        const have = parts.reduce((n, b) => n + b.length, 0);
        // A stream upload (one PATCH, the whole body) sends no Content-Range.
        if (req.headers['content-range'] !== undefined)
          expect(req.headers['content-range']).toBe(`${have}-${have + data.length - 1}`);
        parts.push(data);
        res
          .writeHead(202, { location: `${p}?_state=n${parts.length}`, range: `0-${have + data.length - 1}` })
          .end();
        return true;
      }
      expect(url.searchParams.get('_state')).not.toBeNull();
      const all = Buffer.concat([...parts, data]);
      const digest = url.searchParams.get('digest')!;
      expect(sha256(all)).toBe(digest);
      reg.blobs.set(digest, all);
      res.writeHead(201, { 'docker-content-digest': digest }).end();
      return true;
    }
    const man = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(p);
    if (man !== null && req.method === 'PUT') {
      const bytes = await body(req);
      reg.manifests.set(`${man[1]}:${man[2]}`, { bytes, contentType: req.headers['content-type']! });
      res.writeHead(201, { 'docker-content-digest': lie ? sha256('other') : sha256(bytes) }).end();
      return true;
    }
    return false;
  };
});
afterAll(async () => {
  await reg.stop();
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  reg.log.length = 0;
  lie = false;
  failPatch = false;
});

/** A one-layer image whose layer has no blob yet (as after a build). */
async function freshImage(fill: number): Promise<{ config: Digest; layerChainId: Digest }> {
  const dir = await store.makeStagingDir();
  await writeFile(join(dir, 'data.bin'), Buffer.alloc(300_000, fill));
  const { diffId, size } = await writeLayerTar(dir, null);
  const id = chainId(undefined, diffId);
  await store.commitLayer(dir, { chainId: id, diffId, size });
  const cfg = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } };
  return { config: (await store.putBlob(JSON.stringify(cfg))).digest, layerChainId: id };
}

it('uploads in ordered chunks, following each Location, then PUTs the manifest', async () => {
  const r = await pushImage(store, { config }, `${reg.host}/p/img:v1`, { ...opts, chunkSize: 16 * 1024 });
  const stored = reg.manifests.get('p/img:v1')!;
  expect(stored.contentType).toBe(MediaType.dockerManifest);
  expect(sha256(stored.bytes)).toBe(r.manifest.digest);
  const manifest = JSON.parse(stored.bytes.toString());
  for (const d of [manifest.config, ...manifest.layers]) expect(reg.blobs.get(d.digest)?.length).toBe(d.size);
  expect(reg.log.filter((l) => l.method === 'PATCH').length).toBeGreaterThan(0);
});

it('skips blobs the registry already has', async () => {
  await pushImage(store, { config }, `${reg.host}/p/img:v2`, opts);
  expect(reg.log.filter((l) => l.method === 'POST')).toEqual([]);
  expect(reg.log.filter((l) => l.method === 'HEAD').length).toBe(2);
});

it('refuses a registry that says it stored another manifest digest', async () => {
  lie = true;
  await expect(
    pushImage(store, { config }, `${reg.host}/p/img:v3`, { ...opts, format: 'oci' }),
  ).rejects.toMatchObject({
    code: 'E_DIGEST_MISMATCH',
    message: expect.stringMatching(/registry stored sha256:.* strata sent/),
  });
});

it('streams a layer with no blob yet while compressing it, and records the blob it pushed', async () => {
  const img = await freshImage(2);
  await pushImage(store, { config: img.config }, `${reg.host}/p/fresh:v1`, opts);
  const manifest = JSON.parse(reg.manifests.get('p/fresh:v1')!.bytes.toString());
  const layer = manifest.layers[0];
  // The bytes the registry received are the blob the store now holds and layer.json names.
  const record = (await store.getLayer(img.layerChainId))!;
  expect(record.compressed.map((c) => c.digest)).toContain(layer.digest);
  expect(sha256(await store.readBlob(layer.digest))).toBe(layer.digest);
  expect(reg.blobs.get(layer.digest)?.length).toBe(layer.size);
  // No HEAD for it (its digest was unknown before compressing), one streamed PATCH.
  expect(reg.log.some((l) => l.method === 'HEAD' && l.path.includes(layer.digest))).toBe(false);
  const patches = reg.log.filter((l) => l.method === 'PATCH');
  expect(patches.length).toBe(1);
  expect(patches[0].headers['content-range']).toBeUndefined();
});

it('falls back to an ordinary upload of the stored blob when the streamed one fails', async () => {
  const img = await freshImage(3);
  failPatch = true;
  // Only the streamed PATCHes see the failure: the fallback is one monolithic PUT.
  await pushImage(store, { config: img.config }, `${reg.host}/p/fresh:v2`, opts);
  const manifest = JSON.parse(reg.manifests.get('p/fresh:v2')!.bytes.toString());
  const layer = manifest.layers[0];
  expect(reg.blobs.get(layer.digest)?.length).toBe(layer.size);
  expect(sha256(reg.blobs.get(layer.digest)!)).toBe(layer.digest);
  expect(reg.log.filter((l) => l.method === 'PATCH').length).toBe(1);
  expect(reg.log.filter((l) => l.method === 'POST').length).toBeGreaterThanOrEqual(2);
});
