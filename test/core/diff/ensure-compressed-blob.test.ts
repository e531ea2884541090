import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureCompressedBlob, exportLayerTar } from '../../../core/diff/ensure-compressed-blob.js';
import { writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { chainId, sha256 } from '../../../core/oci/digest.js';
import { DigestMismatchError } from '../../../core/oci/errors.js';
import { MediaType } from '../../../core/oci/media-types.js';
import type { LayerRecord } from '../../../store/layer-record.js';
import { Store } from '../../../store/store.js';
import { cleanup, tempDir } from './fixtures.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = tempDir();
  store = await Store.open(path.join(dir, 'store'));
});
afterEach(() => cleanup(dir));

async function commit(files: Record<string, string>): Promise<LayerRecord> {
  const staged = await store.makeStagingDir();
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(staged, name), body);
  const { diffId, size } = await writeLayerTar(staged, null, { sourceDateEpoch: 0 });
  return store.commitLayer(staged, { chainId: chainId(undefined, diffId), diffId, size });
}

/** Commits a layer and keeps its tar as a blob (digest = diffID), as a big COPY does. */
async function commitKept(files: Record<string, string>): Promise<{ layer: LayerRecord; tar: Buffer }> {
  const layer = await commit(files);
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeLayerTar(store.diffPath(layer.chainId), out, { sourceDateEpoch: 0 });
  const tar = Buffer.concat(chunks);
  expect((await store.putBlob(tar)).digest).toBe(layer.diffId);
  return { layer, tar };
}

describe('ensureCompressedBlob', () => {
  it('stores a gzip blob whose bytes hash to its digest and gunzip to the diffID, and records it', async () => {
    const layer = await commit({ 'a.txt': 'hello '.repeat(1000), 'b.txt': 'world' });
    const blob = await ensureCompressedBlob(store, layer, { sourceDateEpoch: 0 });
    expect(blob.mediaType).toBe(MediaType.ociLayerGzip);
    const bytes = await store.readBlob(blob.digest);
    expect(sha256(bytes)).toBe(blob.digest);
    expect(bytes.length).toBe(blob.size);
    expect(sha256(gunzipSync(bytes))).toBe(layer.diffId);
    // fixed gzip header: no name, mtime 0
    expect([...bytes.subarray(0, 8)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
    const rec = await store.getLayer(layer.chainId);
    expect(rec?.compressed).toEqual([blob]);
  });

  it('reuses the remembered blob, with the media type asked for', async () => {
    const layer = await commit({ 'a.txt': 'x' });
    const first = await ensureCompressedBlob(store, layer, { sourceDateEpoch: 0 });
    const again = await ensureCompressedBlob(store, layer, { mediaType: MediaType.dockerLayerGzip });
    expect(again).toEqual({ ...first, mediaType: MediaType.dockerLayerGzip });
    expect((await store.getLayer(layer.chainId))?.compressed.length).toBe(1);
  });

  it('refuses a diff dir changed after commit: DigestMismatchError, no blob', async () => {
    const layer = await commit({ 'a.txt': 'original' });
    writeFileSync(path.join(store.diffPath(layer.chainId), 'a.txt'), 'tampered');
    await expect(ensureCompressedBlob(store, layer, { sourceDateEpoch: 0 })).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
    expect(await store.listBlobs()).toEqual([]);
    expect((await store.getLayer(layer.chainId))?.compressed).toEqual([]);
  });

  it('makes an uncompressed blob whose digest is the diffID, and exports a raw tar', async () => {
    const layer = await commit({ 'a.txt': 'plain' });
    const blob = await ensureCompressedBlob(store, layer, { compression: 'none', sourceDateEpoch: 0 });
    expect(blob).toMatchObject({ digest: layer.diffId, mediaType: MediaType.ociLayer, size: layer.size });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const r = await exportLayerTar(store, layer, out, { sourceDateEpoch: 0 });
    expect(sha256(Buffer.concat(chunks))).toBe(layer.diffId);
    expect(r.diffId).toBe(layer.diffId);
  });

  it('compresses a kept tar (a blob named by the diffID) instead of walking the diff dir', async () => {
    const { layer, tar } = await commitKept({ 'a.txt': 'kept '.repeat(500), 'b.txt': 'tar' });
    // Were the diff dir read, this would be a DigestMismatchError (see the test above).
    writeFileSync(path.join(store.diffPath(layer.chainId), 'a.txt'), 'tampered');
    const blob = await ensureCompressedBlob(store, layer, { sourceDateEpoch: 0 });
    const bytes = await store.readBlob(blob.digest);
    expect(gunzipSync(bytes).equals(tar)).toBe(true);
    expect((await store.getLayer(layer.chainId))?.compressed).toEqual([blob]);
  });

  it('records a kept tar as the uncompressed blob without writing it again', async () => {
    const { layer } = await commitKept({ 'a.txt': 'plain kept' });
    const before = await store.listBlobs();
    const blob = await ensureCompressedBlob(store, layer, { compression: 'none' });
    expect(blob).toEqual({ digest: layer.diffId, size: layer.size, mediaType: MediaType.ociLayer });
    expect(await store.listBlobs()).toEqual(before);
    expect((await store.getLayer(layer.chainId))?.compressed).toEqual([blob]);
  });

  it('fails on a kept tar whose bytes no longer match its name, and records nothing', async () => {
    const { layer, tar } = await commitKept({ 'a.txt': 'will rot' });
    const rotten = Buffer.from(tar);
    rotten[600] ^= 0xff; // a byte of a.txt's content
    writeFileSync(store.blobPath(layer.diffId), rotten);
    await expect(ensureCompressedBlob(store, layer, { sourceDateEpoch: 0 })).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
    expect((await store.listBlobs()).map((b) => b.digest)).toEqual([layer.diffId]);
    expect((await store.getLayer(layer.chainId))?.compressed).toEqual([]);
  });
});
