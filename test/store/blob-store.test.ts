import { chmod, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
