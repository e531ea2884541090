/**
 * The BlobStore contract, run against every implementation (filesystem and in-memory), in
 * the manner of containerd's content/testsuite: one set of expectations, many stores.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  type Digest,
  DigestMismatchError,
  InvalidInputError,
  NotFoundError,
  sha256,
} from '../../core/oci/index.js';
import type { BlobStore } from '../../store/index.js';

export interface BlobStoreFixture {
  store: BlobStore;
  /** Overwrites the stored bytes of `d` behind the store's back (simulated disk tampering). */
  tamper(d: Digest, bytes: Uint8Array): Promise<void>;
}

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function blobStoreSuite(name: string, make: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    it('round-trips bytes and names them by sha256', async () => {
      const { store } = await make();
      const data = Buffer.from('hello, layers\n');
      const { digest, size } = await store.putBlob(data);
      // Known answer from `printf 'hello, layers\n' | sha256sum`.
      expect(digest).toBe('sha256:30fde9ca872f1600f0a4d009f297e151be3a240d177b1ce74b2d522e49838c40');
      expect(size).toBe(14);
      expect(await store.hasBlob(digest)).toBe(true);
      expect(await store.readBlob(digest)).toEqual(data);
      expect(await collect(store.openBlob(digest))).toEqual(data);
    });

    it('stores strings as UTF-8 and parses JSON blobs', async () => {
      const { store } = await make();
      const { digest } = await store.putBlob('{"a":[1,"é"]}');
      expect(digest).toBe(sha256(Buffer.from('{"a":[1,"é"]}', 'utf8')));
      expect(await store.readJsonBlob(digest)).toEqual({ a: [1, 'é'] });
      const notJson = await store.putBlob('not json');
      await expect(store.readJsonBlob(notJson.digest)).rejects.toBeInstanceOf(InvalidInputError);
    });

    it('is idempotent: putting present content succeeds and changes nothing', async () => {
      const { store } = await make();
      const a = await store.putBlob('same');
      const b = await store.putBlob('same', a.digest);
      expect(b).toEqual(a);
      expect((await store.listBlobs()).filter((x) => x.digest === a.digest)).toHaveLength(1);
      const w = await store.ingest();
      w.stream.end('same');
      expect(await w.commit({ digest: a.digest, size: 4 })).toEqual(a);
    });

    it('refuses a put whose bytes do not match the expected digest, storing nothing', async () => {
      const { store } = await make();
      const wrong = sha256('other');
      await expect(store.putBlob('mine', wrong)).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await store.hasBlob(sha256('mine'))).toBe(false);
      expect(await store.hasBlob(wrong)).toBe(false);
    });

    it('ingest streams, computes the digest while writing, and checks size and digest', async () => {
      const { store } = await make();
      const parts = ['abc', 'def', 'ghi'];
      const w = await store.ingest();
      await pipeline(Readable.from(parts.map((p) => Buffer.from(p))), w.stream);
      const res = await w.commit();
      expect(res).toEqual({ digest: sha256('abcdefghi'), size: 9 });
      expect((await store.readBlob(res.digest)).toString()).toBe('abcdefghi');

      const bad = await store.ingest();
      bad.stream.end('xyz');
      await expect(bad.commit({ size: 4 })).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await store.hasBlob(sha256('xyz'))).toBe(false);

      const bad2 = await store.ingest();
      bad2.stream.end('xyz');
      await expect(bad2.commit({ digest: sha256('zzz') })).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await store.hasBlob(sha256('xyz'))).toBe(false);
    });

    it('ingest digest() seals without publishing; commit() then checks and publishes it', async () => {
      const { store } = await make();
      const w = await store.ingest();
      w.stream.write('sealed ');
      w.stream.write('bytes');
      expect(await w.digest()).toEqual({ digest: sha256('sealed bytes'), size: 12 });
      expect(await store.hasBlob(sha256('sealed bytes'))).toBe(false);
      expect(await w.commit({ digest: sha256('sealed bytes'), size: 12 })).toEqual({
        digest: sha256('sealed bytes'),
        size: 12,
      });
      expect((await store.readBlob(sha256('sealed bytes'))).toString()).toBe('sealed bytes');

      const bad = await store.ingest();
      bad.stream.end('not this');
      expect((await bad.digest()).digest).toBe(sha256('not this'));
      await expect(bad.commit({ digest: sha256('this') })).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await store.hasBlob(sha256('not this'))).toBe(false);
    });

    it('abort discards the write', async () => {
      const { store } = await make();
      const w = await store.ingest();
      w.stream.write('partial');
      await w.abort();
      expect(await store.hasBlob(sha256('partial'))).toBe(false);
    });

    it('reports absent blobs as NotFoundError, from reads and from streams', async () => {
      const { store } = await make();
      const d = sha256('never stored');
      expect(await store.hasBlob(d)).toBe(false);
      await expect(store.readBlob(d)).rejects.toBeInstanceOf(NotFoundError);
      await expect(collect(store.openBlob(d))).rejects.toBeInstanceOf(NotFoundError);
    });

    it('refuses malformed digests before using them', async () => {
      const { store } = await make();
      await expect(store.hasBlob('sha256:../../etc/passwd' as Digest)).rejects.toBeInstanceOf(
        InvalidInputError,
      );
      await expect(store.readBlob(`sha256:${'A'.repeat(64)}` as Digest)).rejects.toBeInstanceOf(
        InvalidInputError,
      );
    });

    it('fails a read stream at end of stream when the stored bytes were tampered with', async () => {
      const fx = await make();
      const data = Buffer.alloc(200_000, 7);
      const { digest } = await fx.store.putBlob(data);
      const evil = Buffer.from(data);
      evil[150_000] = 8;
      await fx.tamper(digest, evil);
      const seen: Buffer[] = [];
      const err = await (async () => {
        try {
          for await (const c of fx.store.openBlob(digest)) seen.push(c as Buffer);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(DigestMismatchError);
      // Every byte was delivered first: the failure is at the end, as a verifier's must be.
      expect(Buffer.concat(seen).equals(evil)).toBe(true);
      await expect(fx.store.readBlob(digest)).rejects.toBeInstanceOf(DigestMismatchError);
      await expect(fx.store.readJsonBlob(digest)).rejects.toBeInstanceOf(DigestMismatchError);
    });

    it('lists and removes blobs', async () => {
      const { store } = await make();
      const a = await store.putBlob('one');
      const b = await store.putBlob('two!');
      const list = await store.listBlobs();
      expect(list).toEqual([a, b].sort((x, y) => (x.digest < y.digest ? -1 : 1)));
      expect(await store.removeBlob(a.digest)).toBe(true);
      expect(await store.removeBlob(a.digest)).toBe(false);
      expect(await store.hasBlob(a.digest)).toBe(false);
      expect(await store.hasBlob(b.digest)).toBe(true);
    });
  });
}
