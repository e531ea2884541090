/**
 * A plain layer tar from another writer (GNU tar here) is loaded once, into its diff dir and
 * a tar-split index, and exported again byte for byte; a diff dir changed afterwards makes
 * the export fail instead of giving other bytes under the old diffID.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { link, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { openStoreSource } from '../../../core/explore/store-source.js';
import { loadArchive } from '../../../core/export/load-archive.js';
import { writeArchiveFile } from '../../../core/export/write-output.js';
import { findImage } from '../../../core/inspect/image-view.js';
import type { Digest } from '../../../core/oci/digest.js';
import { DigestMismatchError, InvalidInputError } from '../../../core/oci/errors.js';
import { formatLayers, layerRows } from '../../../core/views/index.js';
import { Store } from '../../../store/index.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';
import { readTar } from './read-archive.js';

const tempDir = useTempDirs();
const digestOf = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A docker-save-like archive (manifest.json, config, one member per layer). */
async function archiveOf(layers: Buffer[], tag: string): Promise<{ bytes: Buffer; config: Digest }> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map(digestOf) },
    }),
  );
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  pack.entry({ name: 'c.json' }, config);
  for (const [i, l] of layers.entries()) pack.entry({ name: `${i}/layer.tar` }, l);
  const manifest = [{ Config: 'c.json', RepoTags: [tag], Layers: layers.map((_, i) => `${i}/layer.tar`) }];
  pack.entry({ name: 'manifest.json' }, JSON.stringify(manifest));
  pack.finalize();
  await done;
  return { bytes: Buffer.concat(chunks), config: digestOf(config) };
}

/** A GNU tar of a small tree: dirs, a symlink, a hardlink, a long name, an empty file, a 1 MiB file. */
async function gnuTar(): Promise<Buffer> {
  const src = await tempDir();
  await mkdir(join(src, 'etc', 'deep'.repeat(30)), { recursive: true });
  await writeFile(join(src, 'etc', 'motd'), 'from gnu tar\n');
  await writeFile(join(src, 'etc', 'empty'), '');
  await writeFile(join(src, 'etc', 'deep'.repeat(30), 'long-named-file'.repeat(8)), 'long\n');
  await writeFile(join(src, 'big'), Buffer.alloc(1 << 20, 7));
  await writeFile(join(src, 'block'), Buffer.alloc(512, 1));
  await link(join(src, 'etc', 'motd'), join(src, 'etc', 'motd.link'));
  await symlink('motd', join(src, 'etc', 'motd.sym'));
  return execFileSync('tar', ['-cf', '-', '-C', src, '.'], { maxBuffer: 64 << 20 });
}

/** Saves `config` from `store` as a plain docker archive and returns each layer's bytes. */
async function savedLayers(store: Store, config: Digest, tag: string): Promise<Buffer[]> {
  const out = join(await tempDir(), 'out.tar');
  await writeArchiveFile(store, { config }, out, { format: 'docker', tags: [tag], compression: 'none' });
  const entries = await readTar(await readFile(out));
  const manifest = JSON.parse(entries.find((e) => e.name === 'manifest.json')!.body.toString()) as {
    Layers: string[];
  }[];
  return manifest[0].Layers.map((l) => entries.find((e) => e.name === l)!.body);
}

describe('load of a plain foreign layer tar', () => {
  it.each([
    ['plain', false],
    ['gzip', true],
  ])('keeps a tar-split index, no second copy, and saves the original bytes (%s archive)', async (_, gz) => {
    const layer = await gnuTar();
    const { bytes, config } = await archiveOf([layer], 'gnu:1');
    const file = join(await tempDir(), 'gnu.tar');
    await writeFile(file, gz ? gzipSync(bytes) : bytes);
    const store = await Store.open(await tempDir());
    expect(await loadArchive(store, file)).toEqual([{ config, tags: ['docker.io/library/gnu:1'] }]);
    const rec = (await store.getLayer(digestOf(layer)))!;
    expect(rec.tarSplit).toBeDefined();
    expect(rec.compressed).toEqual([]);
    expect(await store.hasBlob(digestOf(layer))).toBe(false);
    expect(await readFile(join(store.diffPath(rec.chainId), 'etc', 'motd'), 'utf8')).toBe('from gnu tar\n');
    const [again] = await savedLayers(store, config, 'gnu:1');
    expect(digestOf(again)).toBe(digestOf(layer));
    expect(again.equals(layer)).toBe(true);
    // The export does not copy it into blobs/ either: the next export replays again.
    expect(await store.hasBlob(digestOf(layer))).toBe(false);
    // A gzip export (what push sends) compresses the replayed tar; it loads back to the same image.
    const gzOut = join(await tempDir(), 'gz.tar');
    await writeArchiveFile(store, { config }, gzOut, { format: 'oci', tags: ['gnu:1'], compression: 'gzip' });
    const other = await Store.open(await tempDir());
    expect(await loadArchive(other, gzOut)).toEqual([{ config, tags: ['docker.io/library/gnu:1'] }]);
    expect((await store.getLayer(rec.chainId))?.compressed.map((c) => c.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar+gzip',
    ]);
    // explore reads it through the index too (and checks the diffID).
    const source = await openStoreSource(store, 'gnu:1');
    const seen = new Map<string, string | undefined>();
    for await (const e of source.entries(0)) seen.set(e.path, e.link ?? e.digest);
    expect(seen.get('etc/motd')).toBe(digestOf(Buffer.from('from gnu tar\n')).slice(7));
    expect(seen.get('etc/motd.sym')).toBe('motd');
    // `strata layers` shows where the index is, beside the diff dir.
    const img = await findImage(store, 'gnu:1');
    expect(formatLayers(img, await layerRows(store, img))).toContain(
      `  diff     ${store.diffPath(rec.chainId)}\n  split    ${store.tarSplitPath(rec.chainId)} (export gives back the loaded tar's bytes)\n`,
    );
  });

  it('a changed diff dir fails the export with a digest mismatch, whatever was changed', async () => {
    const layer = await gnuTar();
    const { bytes, config } = await archiveOf([layer], 'gnu:2');
    const file = join(await tempDir(), 'gnu.tar');
    await writeFile(file, bytes);
    const store = await Store.open(await tempDir());
    await loadArchive(store, file);
    const diff = store.diffPath(digestOf(layer));
    const save = () => savedLayers(store, config, 'gnu:2');

    // Same size, other bytes: only the diffID check at the end can see it.
    await writeFile(join(diff, 'big'), Buffer.alloc(1 << 20, 8));
    await expect(save()).rejects.toThrow(DigestMismatchError);
    await writeFile(join(diff, 'big'), Buffer.alloc(1 << 20, 7));
    expect((await save())[0].equals(layer)).toBe(true);

    // Another size: named at once.
    await writeFile(join(diff, 'etc', 'motd'), 'changed\n');
    await expect(save()).rejects.toThrow(
      /etc\/motd is 8 bytes, the layer's tar held 13; the store was modified/,
    );
    await writeFile(join(diff, 'etc', 'motd'), 'from gnu tar\n');

    // A directory swapped for a symlink to the host: refused, never followed.
    const host = await tempDir();
    await writeFile(join(host, 'motd'), 'host file!!!\n');
    await rm(join(diff, 'etc'), { recursive: true });
    await symlink(host, join(diff, 'etc'));
    await expect(save()).rejects.toThrow(InvalidInputError);
    await expect(save()).rejects.toThrow(/runs through a symlink/);
  });

  it('a tar that names one path twice keeps its blob (the diff dir lost the first data)', async () => {
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    const done = (async () => {
      for await (const c of pack) chunks.push(c as Buffer);
    })();
    pack.entry({ name: 'a.txt' }, 'first\n');
    pack.entry({ name: 'a.txt' }, 'second\n');
    pack.finalize();
    await done;
    const layer = Buffer.concat(chunks);
    const { bytes, config } = await archiveOf([layer], 'twice:1');
    const file = join(await tempDir(), 'twice.tar');
    await writeFile(file, bytes);
    const store = await Store.open(await tempDir());
    await loadArchive(store, file);
    const rec = (await store.getLayer(digestOf(layer)))!;
    expect(rec.tarSplit).toBeUndefined();
    expect(rec.compressed.map((c) => c.digest)).toEqual([digestOf(layer)]);
    expect((await savedLayers(store, config, 'twice:1'))[0].equals(layer)).toBe(true);
  });
});
