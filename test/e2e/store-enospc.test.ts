/**
 * Disk full while writing to the store: a 1 MiB tmpfs holds the store root, writes larger
 * than that must fail with NoSpaceError (E_NO_SPACE) and leave nothing half-written behind.
 * Needs root (mount); fails, never skips, without it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoSpaceError, sha256 } from '../../core/oci/index.js';
import { Store } from '../../store/index.js';

let mnt: string;
let mounted = false;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('store-enospc e2e: must run as root (it mounts a tmpfs)');
  mnt = await mkdtemp(join(tmpdir(), 'strata-enospc-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`store-enospc e2e: cannot mount a 1 MiB tmpfs on ${mnt}: ${(err as Error).message}`);
  }
  mounted = true;
});

afterAll(async () => {
  if (mounted) execFileSync('umount', [mnt]);
  if (mnt !== undefined) await rm(mnt, { recursive: true, force: true });
});

/** Entries anywhere in the store that are not part of its empty skeleton. */
async function leftovers(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const sub of ['ingest', 'blobs/sha256', 'layers', 'cache', 'refs', 'meta', 'cachemounts']) {
    for (const name of await readdir(join(root, sub))) found.push(`${sub}/${name}`);
  }
  return found;
}

describe('store on a full disk', () => {
  it('fails a streamed ingest with NoSpaceError and removes the partial file', async () => {
    const store = await Store.open(join(mnt, 'store'));
    const w = await store.ingest();
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const piped = await pipeline(Readable.from(chunks), w.stream).catch((e) => e);
    expect(piped).toBeInstanceOf(NoSpaceError);
    expect((piped as NoSpaceError).code).toBe('E_NO_SPACE');
    await expect(w.commit()).rejects.toBeInstanceOf(NoSpaceError);
    expect(await leftovers(store.root)).toEqual([]);
  });

  it('fails putBlob, writeMeta and putCacheRecord cleanly, then works again for small writes', async () => {
    const store = await Store.open(join(mnt, 'store'));
    const big = Buffer.alloc(2 * 1024 * 1024, 1);
    await expect(store.putBlob(big)).rejects.toBeInstanceOf(NoSpaceError);
    expect(await store.hasBlob(sha256(big))).toBe(false);
    await expect(store.writeMeta('stat-cache', big)).rejects.toBeInstanceOf(NoSpaceError);
    const key = sha256('k');
    await expect(
      store.putCacheRecord({ key, blob: big.toString('base64') } as { key: typeof key }),
    ).rejects.toBeInstanceOf(NoSpaceError);
    expect(await leftovers(store.root)).toEqual([]);
    const small = await store.putBlob('still fine');
    expect((await store.readBlob(small.digest)).toString()).toBe('still fine');
  });
});
