import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { exportArchive } from '../../../core/export/export-archive.js';
import { DigestMismatchError, InvalidInputError } from '../../../core/oci/errors.js';
import type { DockerArchiveManifestEntry, Index, Manifest } from '../../../core/oci/types.js';
import { Store } from '../../../store/index.js';
import { type HandMadeImage, makeStoreImage } from '../../e2e/helpers/store-image.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';
import { collector, type ReadEntry, readTar } from './read-archive.js';

const tempDir = useTempDirs();
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function twoLayerImage(store: Store): Promise<HandMadeImage> {
  return makeStoreImage(
    store,
    [
      async (d) => {
        await mkdir(join(d, 'etc'));
        await writeFile(join(d, 'etc/hello'), 'hello\n');
        await writeFile(join(d, 'a.txt'), 'a'.repeat(3000));
      },
      async (d) => {
        await writeFile(join(d, 'b.txt'), 'second layer\n');
      },
    ],
    { config: { Cmd: ['/bin/sh'] } },
  );
}

async function exportToBytes(store: Store, image: HandMadeImage, opts: Parameters<typeof exportArchive>[3]) {
  const out = collector();
  await exportArchive(store, { config: image.config }, out.stream, opts);
  return out.bytes();
}

function body(entries: ReadEntry[], name: string): Buffer {
  const e = entries.find((x) => x.name === name);
  if (e === undefined) throw new Error(`no entry ${name}`);
  return e.body;
}

describe('exportArchive', () => {
  let store: Store;
  let image: HandMadeImage;
  beforeAll(async () => {
    store = await Store.open(await tempDir());
    image = await twoLayerImage(store);
  });

  it('writes an OCI layout plus manifest.json and repositories for the docker format', async () => {
    const bytes = await exportToBytes(store, image, {
      format: 'docker',
      tags: ['busybox', 'example.com/x/y:1'],
    });
    const entries = await readTar(bytes);
    const names = entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    const blobs = names.filter((n) => n.startsWith('blobs/sha256/') && n.length > 'blobs/sha256/'.length);
    expect(names).toEqual([
      'blobs/',
      'blobs/sha256/',
      ...blobs,
      'index.json',
      'manifest.json',
      'oci-layout',
      'repositories',
    ]);
    for (const e of entries) {
      expect(e.mtime).toBe(0);
      expect([e.uid, e.gid]).toEqual([0, 0]);
      if (blobs.includes(e.name)) expect(hex(e.body)).toBe(e.name.slice('blobs/sha256/'.length));
    }
    expect(JSON.parse(body(entries, 'oci-layout').toString())).toEqual({ imageLayoutVersion: '1.0.0' });

    const index = JSON.parse(body(entries, 'index.json').toString()) as Index;
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests.map((m) => m.annotations)).toEqual([
      {
        'io.containerd.image.name': 'docker.io/library/busybox:latest',
        'org.opencontainers.image.ref.name': 'latest',
      },
      { 'io.containerd.image.name': 'example.com/x/y:1', 'org.opencontainers.image.ref.name': '1' },
    ]);
    const mdesc = index.manifests[0];
    const mbytes = body(entries, `blobs/sha256/${mdesc.digest.slice(7)}`);
    expect(mbytes.length).toBe(mdesc.size);
    const manifest = JSON.parse(mbytes.toString()) as Manifest;
    expect(manifest.config.digest).toBe(image.config);
    expect(body(entries, `blobs/sha256/${image.config.slice(7)}`).equals(image.configBytes)).toBe(true);
    // Uncompressed layers by default: blob digest = diffID, media type plain tar.
    expect(manifest.layers.map((l) => l.digest)).toEqual(image.diffIds);
    expect(manifest.layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar',
      'application/vnd.oci.image.layer.v1.tar',
    ]);

    const dm = JSON.parse(body(entries, 'manifest.json').toString()) as DockerArchiveManifestEntry[];
    expect(dm).toEqual([
      {
        Config: `blobs/sha256/${image.config.slice(7)}`,
        RepoTags: ['busybox:latest', 'example.com/x/y:1'],
        Layers: image.diffIds.map((d) => `blobs/sha256/${d.slice(7)}`),
      },
    ]);
    expect(JSON.parse(body(entries, 'repositories').toString())).toEqual({
      busybox: { latest: image.diffIds[1].slice(7) },
      'example.com/x/y': { 1: image.diffIds[1].slice(7) },
    });
  });

  it('streams each layer as exactly the tar writeLayerTar makes of its diff dir', async () => {
    const entries = await readTar(await exportToBytes(store, image, { format: 'docker', tags: [] }));
    const layer = body(entries, `blobs/sha256/${image.diffIds[0].slice(7)}`);
    const inner = await readTar(layer);
    expect(inner.map((e) => e.name)).toEqual(['a.txt', 'etc/', 'etc/hello']);
    expect(body(inner, 'etc/hello').toString()).toBe('hello\n');
    const again = await writeLayerTar(store.diffPath(image.chainIds[0]), null);
    expect(again.diffId).toBe(image.diffIds[0]);
    // No tags: one bare index entry, empty RepoTags, no repositories file.
    const index = JSON.parse(body(entries, 'index.json').toString()) as Index;
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0].annotations).toBeUndefined();
    expect(JSON.parse(body(entries, 'manifest.json').toString())[0].RepoTags).toEqual([]);
    expect(entries.some((e) => e.name === 'repositories')).toBe(false);
  });

  it('is byte-for-byte deterministic', async () => {
    const a = await exportToBytes(store, image, { format: 'docker', tags: ['a:1'] });
    const b = await exportToBytes(store, image, { format: 'docker', tags: ['a:1'] });
    expect(hex(a)).toBe(hex(b));
  });

  it('writes no docker files for the oci format', async () => {
    const entries = await readTar(
      await exportToBytes(store, image, { format: 'oci', tags: ['a:1'], compression: 'none' }),
    );
    expect(entries.map((e) => e.name).filter((n) => !n.startsWith('blobs/'))).toEqual([
      'index.json',
      'oci-layout',
    ]);
  });

  it('gzips layers for the oci format by default, with the gzip blob digest in the manifest', async () => {
    const entries = await readTar(await exportToBytes(store, image, { format: 'oci', tags: ['a:1'] }));
    const index = JSON.parse(body(entries, 'index.json').toString()) as Index;
    const manifest = JSON.parse(
      body(entries, `blobs/sha256/${index.manifests[0].digest.slice(7)}`).toString(),
    );
    for (const l of (manifest as Manifest).layers) {
      expect(l.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
      const blob = body(entries, `blobs/sha256/${l.digest.slice(7)}`);
      expect(blob.length).toBe(l.size);
      expect(blob.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    }
  });

  it('refuses a digest as a tag', async () => {
    const out = collector();
    await expect(
      exportArchive(store, { config: image.config }, out.stream, {
        format: 'docker',
        tags: [`busybox@${image.config}`],
      }),
    ).rejects.toThrow(InvalidInputError);
  });

  it('fails when a diff dir no longer matches its diffID', async () => {
    const s = await Store.open(await tempDir());
    const img = await twoLayerImage(s);
    await writeFile(join(s.diffPath(img.chainIds[1]), 'sneaked-in'), 'x');
    const out = collector();
    await expect(
      exportArchive(s, { config: img.config }, out.stream, { format: 'docker', tags: [] }),
    ).rejects.toThrow(DigestMismatchError);
  });
});
