import { chmod, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect, it } from 'vitest';
import { MemoryBlobStore, Store } from '../../store/index.js';
import { blobStoreSuite } from './blob-store-suite.js';

blobStoreSuite('filesystem Store', async () => {
  const store = await Store.open(await mkdtemp(join(tmpdir(), 'strata-blobs-')));
  return {
    store,
    async tamper(d, bytes) {
      const p = store.blobPath(d);
      await chmod(p, 0o644);
      await writeFile(p, bytes);
    },
  };
});

blobStoreSuite('MemoryBlobStore', async () => {
  const store = new MemoryBlobStore();
  return {
    store,
    async tamper(d, bytes) {
      store.tamperForTest(d, bytes);
    },
  };
});

it('filesystem blobs live at blobs/sha256/<hex>, read-only, and leave nothing in ingest/', async () => {
  const root = await mkdtemp(join(tmpdir(), 'strata-blobs-'));
  const store = await Store.open(root);
  const { digest } = await store.putBlob('layout');
  const hex = digest.slice(7);
  expect(store.blobPath(digest)).toBe(join(root, 'blobs', 'sha256', hex));
  expect(await readdir(join(root, 'blobs', 'sha256'))).toEqual([hex]);
  expect(await readdir(join(root, 'ingest'))).toEqual([]);
  const failed = await store.ingest();
  failed.stream.end('wrong');
  await expect(failed.commit({ size: 1 })).rejects.toThrow(/expected 1/);
  expect(await readdir(join(root, 'ingest'))).toEqual([]);
  const { statSync } = await import('node:fs');
  expect(statSync(store.blobPath(digest)).mode & 0o777).toBe(0o444);
});

it('drops the ingest file when a piped source fails, without an explicit abort', async () => {
  const store = await Store.open(await mkdtemp(join(tmpdir(), 'strata-blobs-')));
  const w = await store.ingest();
  async function* failing() {
    yield Buffer.from('some bytes');
    throw new Error('source broke');
  }
  await expect(pipeline(Readable.from(failing()), w.stream)).rejects.toThrow('source broke');
  // The removal runs on the stream's 'close'; wait for it (bounded), before any commit/abort.
  let left = await readdir(join(store.root, 'ingest'));
  for (let i = 0; i < 200 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
    left = await readdir(join(store.root, 'ingest'));
  }
  expect(left).toEqual([]);
  await expect(w.commit()).rejects.toThrow();
  expect(await store.listBlobs()).toEqual([]);
});
