/**
 * Where an exported layer's uncompressed tar comes from: a stored blob named by the diffID
 * (a COPY's kept tar) is read as is; without one, the diff dir is tarred.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { uncompressedLayerBlob } from '../../../core/export/layer-blob.js';
import { chainId, sha256 } from '../../../core/oci/digest.js';
import { DigestMismatchError } from '../../../core/oci/errors.js';
import type { LayerRecord } from '../../../store/layer-record.js';
import { Store } from '../../../store/store.js';
import { cleanup, tempDir } from '../diff/fixtures.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = tempDir('strata-layer-blob-');
  store = await Store.open(path.join(dir, 'store'));
});
afterEach(() => cleanup(dir));

async function commit(files: Record<string, string>): Promise<{ layer: LayerRecord; tar: Buffer }> {
  const staged = await store.makeStagingDir();
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(staged, name), body);
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const { diffId, size } = await writeLayerTar(staged, out, { sourceDateEpoch: 0 });
  const layer = await store.commitLayer(staged, { chainId: chainId(undefined, diffId), diffId, size });
  return { layer, tar: Buffer.concat(chunks) };
}

const EPOCH0 = { sourceDateEpoch: 0 };

async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

describe('uncompressedLayerBlob', () => {
  it('reads a kept tar (a blob named by the diffID), not the diff dir', async () => {
    const { layer, tar } = await commit({ 'a.txt': 'kept', 'b.txt': 'tar' });
    await store.putBlob(tar);
    // Tarring the diff dir now would fail its diffID check.
    writeFileSync(path.join(store.diffPath(layer.chainId), 'a.txt'), 'tampered');
    const blob = await uncompressedLayerBlob(store, layer);
    expect(blob.descriptor).toMatchObject({ digest: layer.diffId, size: layer.size });
    expect((await bytesOf(blob.open())).equals(tar)).toBe(true);
  });

  it('tars the diff dir when no blob holds the tar, checking it against the diffID', async () => {
    const { layer, tar } = await commit({ 'a.txt': 'from the dir' });
    expect(sha256(await bytesOf((await uncompressedLayerBlob(store, layer, EPOCH0)).open()))).toBe(
      sha256(tar),
    );
    writeFileSync(path.join(store.diffPath(layer.chainId), 'a.txt'), 'tampered');
    await expect(bytesOf((await uncompressedLayerBlob(store, layer, EPOCH0)).open())).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
  });
});
