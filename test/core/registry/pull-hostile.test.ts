/**
 * pullImage against a registry that lies: every case must fail with a clear error and leave
 * the store exactly as it was (no blobs, layer dirs, ingest files or refs).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../../core/oci/digest.js';
import { MediaType } from '../../../core/oci/media-types.js';
import { pullImage } from '../../../core/registry/pull-image.js';
import { Store } from '../../../store/index.js';
import {
  FakeRegistry,
  makeImage,
  makeLayer,
  serveBytes,
  storeSnapshot,
  type TestImage,
} from './fake-registry.js';

let reg: FakeRegistry;
let root: string;
let store: Store;
let image: TestImage;
const opts = { credentials: null, retryDelayMs: 1 } as const;

beforeAll(async () => {
  reg = await FakeRegistry.start();
  const base = await makeLayer({ 'bin/tool': randomBytes(300_000), 'etc/os-release': 'ID=test\n' });
  const top = await makeLayer({ 'app/main.txt': 'hello\n' });
  image = makeImage([base, top]);
});
afterAll(async () => reg.stop());
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-pull-'));
  store = await Store.open(root);
  reg.hook = undefined;
  reg.manifests.clear();
  reg.blobs.clear();
  reg.log.length = 0;
});
afterEach(async () => rm(root, { recursive: true, force: true }));

async function expectUntouched(run: () => Promise<unknown>, matcher: RegExp, code: string): Promise<void> {
  const before = await storeSnapshot(store);
  await expect(run()).rejects.toMatchObject({ code, message: expect.stringMatching(matcher) });
  expect(await storeSnapshot(store)).toEqual(before);
}

describe('pullImage happy path (fake registry)', () => {
  it('stores blobs, layers with their compressed blob, config, manifest and ref', async () => {
    reg.serve('t/img', 'v1', image);
    const r = await pullImage(store, `${reg.host}/t/img:v1`, opts);
    expect(r.config).toBe(image.configDigest);
    expect(r.manifest).toEqual({
      mediaType: MediaType.dockerManifest,
      digest: image.manifestDigest,
      size: image.manifestBytes.length,
    });
    expect((await store.getRef(`${reg.host}/t/img:v1`))?.manifest?.digest).toBe(image.manifestDigest);
    expect(await readFile(join(store.diffPath(image.layers[0].diffId), 'etc/os-release'), 'utf8')).toBe(
      'ID=test\n',
    );
    const rec = await store.getLayer(image.layers[0].diffId);
    expect(rec?.compressed).toEqual([
      {
        digest: image.layers[0].digest,
        size: image.layers[0].gz.length,
        mediaType: MediaType.dockerLayerGzip,
      },
    ]);
    expect((await store.readBlob(image.layers[1].digest)).equals(image.layers[1].gz)).toBe(true);
    expect((await storeSnapshot(store)).ingest).toEqual([]);
  });
});

describe('pullImage refuses hostile registries and leaves the store unchanged', () => {
  it('manifest bytes that do not hash to the digest asked for', async () => {
    reg.serve('t/img', 'v1', image);
    const other = makeImage(image.layers, { config: (c) => (c.author = 'mallory') });
    // The registry answers the digest of `image` with the bytes of `other`.
    reg.manifests.set(`t/img@${image.manifestDigest}`, {
      bytes: other.manifestBytes,
      contentType: MediaType.dockerManifest,
    });
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/img@${image.manifestDigest}`, opts),
      /verify manifest .*content is sha256:/,
      'E_DIGEST_MISMATCH',
    );
  });

  it('a Docker-Content-Digest header that disagrees with the bytes', async () => {
    reg.serve('t/img', 'v1', image);
    reg.hook = (_req, res, url) => {
      if (!url.pathname.endsWith('/manifests/v1')) return false;
      res.writeHead(200, { 'content-type': MediaType.dockerManifest, 'docker-content-digest': sha256('x') });
      res.end(image.manifestBytes);
      return true;
    };
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/img:v1`, opts),
      /the registry says/,
      'E_DIGEST_MISMATCH',
    );
  });

  it('a layer blob longer than its descriptor size', async () => {
    const img = makeImage(image.layers, {
      manifest: (m) => ((m.layers as { size: number }[])[1].size -= 10),
    });
    reg.serve('t/img', 'v1', img);
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/img:v1`, opts),
      /descriptor says/,
      'E_DIGEST_MISMATCH',
    );
  });

  it('a layer blob shorter than its descriptor size (clean end of body)', async () => {
    const img = makeImage(image.layers, {
      manifest: (m) => ((m.layers as { size: number }[])[0].size += 10),
    });
    reg.serve('t/img', 'v1', img);
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/img:v1`, opts),
      /got \d+ bytes, its descriptor says/,
      'E_DIGEST_MISMATCH',
    );
  });

  it('a layer blob with the right size and the wrong content', async () => {
    reg.serve('t/img', 'v1', image);
    const bad = Buffer.from(image.layers[1].gz);
    bad[bad.length - 20] ^= 0xff;
    reg.blobs.set(image.layers[1].digest, bad);
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/img:v1`, opts),
      /content is sha256:/,
      'E_DIGEST_MISMATCH',
    );
  });

  it('a layer whose uncompressed digest is not its diff_id', async () => {
    const img = makeImage(image.layers, {
      config: (c) => ((c.rootfs as { diff_ids: string[] }).diff_ids[1] = sha256('something else')),
    });
    reg.serve('t/img', 'v1', img);
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/img:v1`, opts),
      /layer 1 .*uncompressed content is .*the image config says/,
      'E_DIGEST_MISMATCH',
    );
  });

  it('a config that lists fewer diff_ids than the manifest has layers', async () => {
    const img = makeImage(image.layers, {
      config: (c) => (c.rootfs as { diff_ids: string[] }).diff_ids.pop(),
    });
    reg.serve('t/img', 'v1', img);
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/img:v1`, opts),
      /1 diff_ids but the manifest 2 layers/,
      'E_DIGEST_MISMATCH',
    );
  });

  it('an oversized manifest, declared or streamed', async () => {
    const big = makeImage(image.layers, {
      manifest: (m) => (m.annotations = { pad: 'x'.repeat(5 * 1024 * 1024) }),
    });
    reg.serve('t/img', 'v1', big);
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/img:v1`, opts),
      /over the 4194304-byte limit/,
      'E_REGISTRY',
    );
    reg.hook = (_req, res, url) => {
      if (!url.pathname.endsWith('/manifests/v2')) return false;
      res.writeHead(200, { 'content-type': MediaType.dockerManifest }); // chunked: no length up front
      for (let i = 0; i < 6; i++) res.write(Buffer.alloc(1024 * 1024, 0x20));
      res.end();
      return true;
    };
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/img:v2`, opts),
      /over the 4194304-byte limit/,
      'E_REGISTRY',
    );
  });

  it('wrong or confusing media types', async () => {
    const cases: [string, Buffer, RegExp][] = [
      ['application/vnd.docker.distribution.manifest.v1+prettyjws', image.manifestBytes, /schema1/],
      [MediaType.ociIndex, image.manifestBytes, /Content-Type is .* but the body says/],
      ['text/html', Buffer.from('{"schemaVersion":2}'), /unsupported media type/],
      [
        MediaType.dockerManifestList,
        Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [], layers: [] })),
        /must have manifests and no config or layers/,
      ],
    ];
    for (const [i, [contentType, bytes, re]] of cases.entries()) {
      reg.manifests.set(`t/mt:c${i}`, { bytes, contentType });
      await expectUntouched(() => pullImage(store, `${reg.host}/t/mt:c${i}`, opts), re, 'E_REGISTRY');
    }
    const octet = makeImage(image.layers, {
      manifest: (m) => ((m.layers as { mediaType: string }[])[0].mediaType = 'application/octet-stream'),
    });
    reg.serve('t/mt', 'layer', octet);
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/mt:layer`, opts),
      /layer 0 has unsupported media type/,
      'E_REGISTRY',
    );
    const artifact = makeImage(image.layers, {
      manifest: (m) => ((m.config as { mediaType: string }).mediaType = 'application/vnd.example.thing'),
    });
    reg.serve('t/mt', 'artifact', artifact);
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/mt:artifact`, opts),
      /not a container image/,
      'E_REGISTRY',
    );
  });

  it('an endless 401: one fresh token is refused, then a clear error and no loop', async () => {
    reg.serve('t/img', 'v1', image);
    let tokens = 0;
    reg.hook = (_req, res, url) => {
      if (url.pathname === '/token') {
        tokens++;
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ token: `t${tokens}` }));
        return true;
      }
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="http://${reg.host}/token",service="fake",scope="repository:t/img:pull"`,
      });
      res.end();
      return true;
    };
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/img:v1`, opts),
      /refused \(401\) with a freshly issued token/,
      'E_REGISTRY',
    );
    expect(tokens).toBe(1);
    expect(reg.log.filter((r) => r.path.includes('/manifests/')).length).toBe(2);
    const tokenReq = reg.log.find((r) => r.path === '/token');
    expect(tokenReq).toBeDefined();
  });

  it('a connection cut mid-blob every time: fails after the tries, nothing kept', async () => {
    reg.serve('t/img', 'v1', image);
    const victim = image.layers[0];
    let gets = 0;
    reg.hook = (_req, res, url) => {
      if (!url.pathname.endsWith(victim.digest)) return false;
      gets++;
      res.writeHead(200, { 'content-length': victim.gz.length });
      res.write(victim.gz.subarray(0, 1000), () => res.destroy());
      return true;
    };
    await expectUntouched(
      () => pullImage(store, `${reg.host}/t/img:v1`, opts),
      /failed after 3 tries/,
      'E_REGISTRY',
    );
    expect(gets).toBe(3);
  });
});

describe('pullImage recovers from a cut connection', () => {
  it('resumes with Range where it stopped', async () => {
    reg.serve('t/img', 'v1', image);
    const victim = image.layers[0];
    let cut = false;
    reg.hook = (req, res, url) => {
      if (!url.pathname.endsWith(victim.digest) || cut) return false;
      cut = true;
      res.writeHead(200, { 'content-length': victim.gz.length });
      res.write(victim.gz.subarray(0, 5000), () => res.destroy());
      void req;
      return true;
    };
    const r = await pullImage(store, `${reg.host}/t/img:v1`, opts);
    expect(r.config).toBe(image.configDigest);
    const gets = reg.log.filter((l) => l.path.endsWith(victim.digest));
    expect(gets.length).toBe(2);
    expect(gets[1].headers.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(gets[1].headers.range!)![0])).toBeGreaterThan(0);
    expect((await store.readBlob(victim.digest)).equals(victim.gz)).toBe(true);
    expect((await store.getLayer(victim.diffId))?.diffId).toBe(victim.diffId);
  });

  it('restarts cleanly when the registry ignores Range', async () => {
    reg.serve('t/img', 'v1', image);
    const victim = image.layers[0];
    let cut = false;
    reg.hook = (req, res, url) => {
      if (!url.pathname.endsWith(victim.digest)) return false;
      if (!cut) {
        cut = true;
        res.writeHead(200, { 'content-length': victim.gz.length });
        res.write(victim.gz.subarray(0, 5000), () => res.destroy());
        return true;
      }
      delete req.headers.range; // answer 200 with everything
      serveBytes(req, res, victim.gz);
      return true;
    };
    const r = await pullImage(store, `${reg.host}/t/img:v1`, opts);
    expect(r.config).toBe(image.configDigest);
    expect(await readFile(join(store.diffPath(victim.diffId), 'etc/os-release'), 'utf8')).toBe('ID=test\n');
    expect((await storeSnapshot(store)).ingest).toEqual([]);
  });
});
