/**
 * Push to and pull from Debian's docker-registry on 127.0.0.1 (no auth): a busybox image made
 * by hand in one store goes out (Docker schema2, OCI, chunked) and comes back into a fresh
 * store with the same config digest, diffIDs and files.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage } from '../../core/image/read-image.js';
import { MediaType } from '../../core/oci/media-types.js';
import { pullImage } from '../../core/registry/pull-image.js';
import { pushImage } from '../../core/registry/push-image.js';
import { RegistryClient } from '../../core/registry/registry-client.js';
import { Store } from '../../store/index.js';
import { BUSYBOX, makeBusyboxRootfs } from './helpers/busybox-rootfs.js';
import { type RunningRegistry, startRegistry } from './helpers/registry.js';
import { makeStoreImage } from './helpers/store-image.js';
import { useTempDirs } from './helpers/temp-dirs.js';

const tempDir = useTempDirs();
let registry: RunningRegistry;
let source: Store;
let image: Awaited<ReturnType<typeof makeStoreImage>>;
const anon = { credentials: null } as const;

beforeAll(async () => {
  registry = await startRegistry();
  source = await Store.open(await tempDir());
  image = await makeStoreImage(
    source,
    [
      makeBusyboxRootfs,
      async (dir) => {
        const { writeFile, mkdir } = await import('node:fs/promises');
        await mkdir(join(dir, 'app'));
        await writeFile(join(dir, 'app/hello.txt'), 'hello from strata\n');
      },
    ],
    { config: { Cmd: ['/bin/sh'] } },
  );
});
afterAll(async () => {
  await registry?.stop();
});

async function expectSameImage(store: Store, config: string): Promise<void> {
  expect(config).toBe(image.config);
  const back = await readImage(store, image.config);
  expect(back.config.rootfs.diff_ids).toEqual(image.diffIds);
  expect(back.layers.map((l) => l.chainId)).toEqual(image.chainIds);
  const busybox = await readFile(join(store.diffPath(image.chainIds[0]), 'bin/busybox'));
  expect(busybox.equals(await readFile(BUSYBOX))).toBe(true);
  expect(await readFile(join(store.diffPath(image.chainIds[1]), 'app/hello.txt'), 'utf8')).toBe(
    'hello from strata\n',
  );
}

describe('docker-registry without auth', () => {
  it('pushes Docker schema2 and pulls it back into a fresh store', async () => {
    const ref = `${registry.host}/strata/busybox:v1`;
    const pushed = await pushImage(source, { config: image.config }, ref, anon);
    expect(pushed.manifest.mediaType).toBe(MediaType.dockerManifest);
    const dest = await Store.open(await tempDir());
    const pulled = await pullImage(dest, ref, anon);
    expect(pulled.manifest.digest).toBe(pushed.manifest.digest);
    await expectSameImage(dest, pulled.config);
    const target = await dest.getRef(`${registry.host}/strata/busybox:v1`);
    expect(target?.config).toBe(image.config);
    expect(target?.manifest?.digest).toBe(pushed.manifest.digest);
    // The pulled compressed blobs were recorded: pushing from the new store reuses them.
    const rec = await dest.getLayer(image.chainIds[0]);
    expect(rec?.compressed.map((c) => c.mediaType)).toEqual([MediaType.dockerLayerGzip]);
    const again = await pushImage(dest, { config: image.config }, `${registry.host}/strata/copy:v1`, anon);
    expect(again.manifest.digest).toBe(pushed.manifest.digest);
  });

  it('pushes OCI media types in chunks and pulls them back', async () => {
    const ref = `${registry.host}/strata/oci:v1`;
    const pushed = await pushImage(source, { config: image.config }, ref, {
      ...anon,
      format: 'oci',
      chunkSize: 256 * 1024,
    });
    expect(pushed.manifest.mediaType).toBe(MediaType.ociManifest);
    const client = await RegistryClient.create(registry.host, anon);
    const doc = await client.getManifest('strata/oci', 'v1');
    expect(doc.digest).toBe(pushed.manifest.digest);
    expect(
      doc.kind === 'manifest' && doc.manifest.layers.every((l) => l.mediaType === MediaType.ociLayerGzip),
    ).toBe(true);
    const dest = await Store.open(await tempDir());
    const pulled = await pullImage(dest, `${registry.host}/strata/oci@${pushed.manifest.digest}`, anon);
    await expectSameImage(dest, pulled.config);
    expect(await dest.getRef(`${registry.host}/strata/oci@${pushed.manifest.digest}`)).toBeDefined();
  });

  it('skips blobs the registry has and layers the store has', async () => {
    const events: string[] = [];
    await pushImage(source, { config: image.config }, `${registry.host}/strata/busybox:v2`, {
      ...anon,
      onProgress: (e) => {
        if (e.type === 'blob' && e.status !== 'uploading') events.push(e.status);
      },
    });
    expect(events).toEqual(['exists', 'exists', 'exists']);
    const layerEvents: string[] = [];
    await pullImage(source, `${registry.host}/strata/busybox:v2`, {
      ...anon,
      onProgress: (e) => {
        if (e.type === 'layer') layerEvents.push(e.status);
      },
    });
    expect(layerEvents).toEqual(['exists', 'exists']);
  });
});
