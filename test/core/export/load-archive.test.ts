import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { importRootfs } from '../../../core/export/import-rootfs.js';
import { loadArchive } from '../../../core/export/load-archive.js';
import { writeArchiveFile } from '../../../core/export/write-output.js';
import { DigestMismatchError, InvalidInputError } from '../../../core/oci/errors.js';
import { Store } from '../../../store/index.js';
import { type HandMadeImage, makeStoreImage } from '../../e2e/helpers/store-image.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';
import { collector, readTar } from './read-archive.js';

const tempDir = useTempDirs();
const hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Packs named files into a tar (Buffer values are files, strings after '->' symlinks). */
async function packTar(files: [string, Buffer | { symlink: string }][]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const [name, v] of files) {
    if (Buffer.isBuffer(v)) pack.entry({ name, size: v.length }, v);
    else pack.entry({ name, type: 'symlink', linkname: v.symlink });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function layerTar(files: Record<string, string>): Promise<Buffer> {
  const out = collector();
  const dir = await tempDir();
  for (const [k, v] of Object.entries(files)) await writeFile(join(dir, k), v);
  await writeLayerTar(dir, out.stream);
  return out.bytes();
}

describe('loadArchive', () => {
  let src: Store;
  let image: HandMadeImage;
  beforeAll(async () => {
    src = await Store.open(await tempDir());
    image = await makeStoreImage(
      src,
      [
        async (d) => {
          await mkdir(join(d, 'etc'));
          await writeFile(join(d, 'etc/os-release'), 'ID=test\n');
        },
        async (d) => writeFile(join(d, 'hello.txt'), 'hello\n'),
      ],
      { config: { Cmd: ['/bin/true'] } },
    );
  });

  it.each(['docker', 'oci'] as const)('round-trips our own %s archive', async (format) => {
    const file = join(await tempDir(), 'img.tar');
    await writeArchiveFile(src, { config: image.config }, file, { format, tags: ['example.com/a/b:1'] });
    const dst = await Store.open(await tempDir());
    const loaded = await loadArchive(dst, file);
    expect(loaded).toEqual([{ config: image.config, tags: ['example.com/a/b:1'] }]);
    expect((await dst.getRef('example.com/a/b:1'))?.config).toBe(image.config);
    expect((await dst.readBlob(image.config)).equals(image.configBytes)).toBe(true);
    for (const [i, c] of image.chainIds.entries())
      expect((await dst.getLayer(c))?.diffId).toBe(image.diffIds[i]);
    expect(await readFile(join(dst.diffPath(image.chainIds[1]), 'hello.txt'), 'utf8')).toBe('hello\n');
    // Loading again finds every layer present and changes nothing.
    expect(await loadArchive(dst, file)).toEqual(loaded);
  });

  it('reads a gzip-compressed archive', async () => {
    const dir = await tempDir();
    await writeArchiveFile(src, { config: image.config }, join(dir, 'img.tar'), {
      format: 'docker',
      tags: ['x:1'],
    });
    await writeFile(join(dir, 'img.tar.gz'), gzipSync(await readFile(join(dir, 'img.tar'))));
    const dst = await Store.open(await tempDir());
    expect(await loadArchive(dst, join(dir, 'img.tar.gz'))).toEqual([
      { config: image.config, tags: ['docker.io/library/x:1'] },
    ]);
  });

  it('reads the legacy layout (<id>/layer.tar, <hex>.json, a repeated layer as a symlink)', async () => {
    const l1 = await layerTar({ 'a.txt': 'A' });
    const l2 = await layerTar({ 'b.txt': 'B' });
    const diffIds = [l1, l2, l1].map((b) => `sha256:${hex(b)}`);
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }),
    );
    const file = join(await tempDir(), 'legacy.tar');
    await writeFile(
      file,
      await packTar([
        [`${hex(config)}.json`, config],
        ['aaa/layer.tar', l1],
        ['bbb/layer.tar', l2],
        ['ccc/layer.tar', { symlink: '../aaa/layer.tar' }],
        [
          'manifest.json',
          Buffer.from(
            JSON.stringify([
              {
                Config: `${hex(config)}.json`,
                RepoTags: ['legacy:v1'],
                Layers: ['aaa/layer.tar', 'bbb/layer.tar', 'ccc/layer.tar'],
              },
            ]),
          ),
        ],
      ]),
    );
    const dst = await Store.open(await tempDir());
    const [img] = await loadArchive(dst, file);
    expect(img).toEqual({ config: `sha256:${hex(config)}`, tags: ['docker.io/library/legacy:v1'] });
    // Three chainIDs (the repeated layer sits on a different parent), read through the symlink.
    expect((await dst.listLayers()).map((l) => l.diffId).sort()).toEqual([...diffIds].sort());
  });

  it('keeps a foreign layer tar that the diff dir cannot reproduce, and exports it unchanged', async () => {
    // tar-stream's headers (uname, ./ names...) differ from writeLayerTar's canonical ones.
    const foreign = await packTar([['./etc/issue', Buffer.from('foreign\n')]]);
    const diffId = `sha256:${hex(foreign)}`;
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } }),
    );
    const file = join(await tempDir(), 'foreign.tar');
    await writeFile(
      file,
      await packTar([
        ['c.json', config],
        ['l.tar', gzipSync(foreign)],
        [
          'manifest.json',
          Buffer.from(JSON.stringify([{ Config: 'c.json', RepoTags: ['f:1'], Layers: ['l.tar'] }])),
        ],
      ]),
    );
    const dst = await Store.open(await tempDir());
    const [img] = await loadArchive(dst, file);
    const rec = await dst.getLayer(diffId as `sha256:${string}`);
    expect(rec?.compressed.map((c) => c.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip']);
    for (const compression of ['none', 'gzip'] as const) {
      const out = join(await tempDir(), `out-${compression}.tar`);
      await writeArchiveFile(dst, { config: img.config }, out, {
        format: 'docker',
        tags: ['f:1'],
        compression,
      });
      const again = await Store.open(await tempDir());
      expect(await loadArchive(again, out)).toEqual([
        { config: img.config, tags: ['docker.io/library/f:1'] },
      ]);
      if (compression === 'none') {
        const entries = await readTar(await readFile(out));
        expect(entries.find((e) => e.name === `blobs/sha256/${diffId.slice(7)}`)?.body.equals(foreign)).toBe(
          true,
        );
      }
    }
  });

  it('refuses a layer whose content does not match the diff_id, committing nothing', async () => {
    const l1 = await layerTar({ 'a.txt': 'A' });
    const l2 = await layerTar({ 'b.txt': 'B' });
    const wrong = `sha256:${'0'.repeat(64)}`;
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [`sha256:${hex(l1)}`, wrong] },
      }),
    );
    const file = join(await tempDir(), 'bad.tar');
    await writeFile(
      file,
      await packTar([
        ['c.json', config],
        ['1.tar', l1],
        ['2.tar', l2],
        [
          'manifest.json',
          Buffer.from(
            JSON.stringify([{ Config: 'c.json', RepoTags: ['bad:1'], Layers: ['1.tar', '2.tar'] }]),
          ),
        ],
      ]),
    );
    const dst = await Store.open(await tempDir());
    await expect(loadArchive(dst, file)).rejects.toThrow(DigestMismatchError);
    expect(await dst.listLayers()).toEqual([]);
    expect(await dst.listRefs()).toEqual([]);
    expect(await dst.hasBlob(`sha256:${hex(config)}`)).toBe(false);
    expect((await readdir(join(dst.root, 'layers'))).filter((n) => n.startsWith('.staging'))).toEqual([]);
  });

  it('refuses a config whose bytes do not match its blob name', async () => {
    const file = join(await tempDir(), 'img.tar');
    await writeArchiveFile(src, { config: image.config }, file, { format: 'docker', tags: [] });
    const entries = await readTar(await readFile(file));
    const repacked = entries.map(
      (e) =>
        [
          e.name,
          e.name === `blobs/sha256/${image.config.slice(7)}` ? Buffer.from(`${e.body.toString()} `) : e.body,
        ] as [string, Buffer],
    );
    await writeFile(file, await packTar(repacked.filter(([n]) => !n.endsWith('/'))));
    await expect(loadArchive(await Store.open(await tempDir()), file)).rejects.toThrow(DigestMismatchError);
  });

  it('loads every platform of a nested OCI index under its name annotation (linux/amd64 shown)', async () => {
    const l1 = await layerTar({ 'amd.txt': 'amd64' });
    const cfg = (arch: string, layer: Buffer) =>
      Buffer.from(
        JSON.stringify({
          architecture: arch,
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [`sha256:${hex(layer)}`] },
        }),
      );
    const layerDesc = {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: `sha256:${hex(l1)}`,
      size: l1.length,
    };
    const manifest = (c: Buffer) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: `sha256:${hex(c)}`,
            size: c.length,
          },
          layers: [layerDesc],
        }),
      );
    const amdCfg = cfg('amd64', l1);
    const armCfg = cfg('arm64', l1);
    const amd = manifest(amdCfg);
    const arm = manifest(armCfg);
    const mdesc = (m: Buffer, architecture: string) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${hex(m)}`,
      size: m.length,
      platform: { architecture, os: 'linux' },
    });
    const inner = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [mdesc(arm, 'arm64'), mdesc(amd, 'amd64')],
      }),
    );
    const index = {
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          digest: `sha256:${hex(inner)}`,
          size: inner.length,
          annotations: {
            'io.containerd.image.name': 'docker.io/library/multi:1',
            'org.opencontainers.image.ref.name': '1',
          },
        },
      ],
    };
    const file = join(await tempDir(), 'oci.tar');
    const blob = (b: Buffer) => [`blobs/sha256/${hex(b)}`, b] as [string, Buffer];
    await writeFile(
      file,
      await packTar([
        ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
        ['index.json', Buffer.from(JSON.stringify(index))],
        blob(inner),
        blob(amd),
        blob(arm),
        blob(amdCfg),
        blob(armCfg),
        blob(l1),
      ]),
    );
    const dst = await Store.open(await tempDir());
    expect(await loadArchive(dst, file)).toEqual([
      { config: `sha256:${hex(armCfg)}`, tags: [] },
      { config: `sha256:${hex(amdCfg)}`, tags: ['docker.io/library/multi:1'] },
    ]);
    expect(await dst.getRef('docker.io/library/multi:1')).toEqual({
      config: `sha256:${hex(amdCfg)}`,
      platforms: { 'linux/arm64': `sha256:${hex(armCfg)}`, 'linux/amd64': `sha256:${hex(amdCfg)}` },
    });
  });

  it('refuses a file that is not an archive of images', async () => {
    const file = join(await tempDir(), 'plain.tar');
    await writeFile(file, await packTar([['hello.txt', Buffer.from('hi')]]));
    await expect(loadArchive(await Store.open(await tempDir()), file)).rejects.toThrow(InvalidInputError);
  });
});

describe('importRootfs', () => {
  it('makes a one-layer linux/amd64 image with the default PATH', async () => {
    const dir = await tempDir();
    const tarFile = join(dir, 'rootfs.tar');
    await writeFile(tarFile, await packTar([['bin/hello', Buffer.from('#!/bin/sh\necho hi\n')]]));
    const store = await Store.open(await tempDir());
    const { config, tags } = await importRootfs(store, tarFile, 'myroot:1', {
      created: '2024-01-01T00:00:00Z',
    });
    expect(tags).toEqual(['docker.io/library/myroot:1']);
    const cfg = await store.readJsonBlob<Record<string, unknown>>(config);
    const diffId = `sha256:${hex(await readFile(tarFile))}`;
    expect(cfg).toEqual({
      created: '2024-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: 'strata import' }],
    });
    expect(await readFile(join(store.diffPath(diffId as `sha256:${string}`), 'bin/hello'), 'utf8')).toContain(
      'echo hi',
    );
    expect((await store.getRef('docker.io/library/myroot:1'))?.config).toBe(config);
  });
});
