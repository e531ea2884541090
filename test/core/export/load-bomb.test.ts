/**
 * `strata load -i` of a small gzip that unpacks to gigabytes (issue 13, defect 8): it is
 * validated as it streams, what it may write is capped (the error names the cap and how to
 * raise it), and the scratch file of a load that was killed is swept by the next store open.
 */
import { spawnSync } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadArchive } from '../../../core/export/load-archive.js';
import { DEFAULT_FLOOR } from '../../../core/export/load-budget.js';
import { InvalidInputError } from '../../../core/oci/errors.js';
import { Store } from '../../../store/index.js';
import { ownedName } from '../../../store/process-owner.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';
import { gzipBomb, ZERO_RUN_BYTES } from '../../helpers/gzip-bomb.js';
import { headerBlock } from '../../helpers/hostile-tar-headers.js';

const tempDir = useTempDirs();

/** A store whose scratch files count the bytes written to them. */
async function countingStore(): Promise<{ store: Store; written: () => number }> {
  const store = await Store.open(await tempDir());
  let written = 0;
  const create = store.createScratchFile.bind(store);
  store.createScratchFile = async () => {
    const s = await create();
    const write = s.fh.write.bind(s.fh) as (b: Buffer) => Promise<unknown>;
    s.fh.write = (async (b: Buffer) => {
      written += b.length;
      return write(b);
    }) as typeof s.fh.write;
    return s;
  };
  return { store, written: () => written };
}

async function bombFile(bytes: Buffer): Promise<string> {
  const file = join(await tempDir(), 'bomb.tar.gz');
  await writeFile(file, bytes);
  return file;
}

describe('loading a gzip bomb', () => {
  it('refuses a 2 GiB member at its header: almost nothing is written', { timeout: 20_000 }, async () => {
    const runs = 32; // 2 GiB of zeros in ~2 MB of gzip, the reproducer of the issue
    const file = await bombFile(
      gzipBomb(headerBlock({ name: 'layer.tar', size: runs * ZERO_RUN_BYTES }), runs),
    );
    expect((await stat(file)).size).toBeLessThan(3 * 2 ** 20);
    const { store, written } = await countingStore();
    const err = await loadArchive(store, file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(String(err)).toMatch(/"layer.tar" declares 2147483648 bytes/);
    expect(String(err)).toMatch(/raise the cap with strata load --max-uncompressed SIZE/);
    expect(written()).toBeLessThanOrEqual(2 ** 20);
    expect(await readdir(join(store.root, 'ingest'))).toEqual([]);
  });

  it('stops many members at the cap, with an error that names it', { timeout: 30_000 }, async () => {
    // 40 members of 16 MiB: each fits, together they are 640 MiB from ~600 KB.
    const member = 16 * 2 ** 20;
    const runs = (40 * member) / ZERO_RUN_BYTES;
    const parts: Buffer[] = [];
    for (let i = 0; i < 40; i++)
      parts.push(headerBlock({ name: `m${i}`, size: member }), Buffer.alloc(member));
    // Not the cheap bomb (its zeros are not aligned to the headers): compress the real tar once.
    const file = await bombFile(gzipSync(Buffer.concat(parts), { level: 1 }));
    expect(runs).toBe(10);
    const { store, written } = await countingStore();
    const err = await loadArchive(store, file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    const cap = Number(/more than (\d+) bytes, the most a load may write/.exec(String(err))?.[1]);
    expect(cap).toBeGreaterThanOrEqual(DEFAULT_FLOOR);
    expect(cap).toBeLessThan(40 * member);
    expect(written()).toBeLessThanOrEqual(cap);
    expect(await readdir(join(store.root, 'ingest'))).toEqual([]);
  });

  it('loads it when --max-uncompressed allows it (the error is then about the content)', async () => {
    const head = headerBlock({ name: 'layer.tar', size: ZERO_RUN_BYTES });
    const file = await bombFile(Buffer.concat([gzipBomb(head, 1), gzipSync(Buffer.alloc(1024))]));
    const { store } = await countingStore();
    const err = await loadArchive(store, file, { maxUncompressed: 2 * ZERO_RUN_BYTES }).catch(
      (e: unknown) => e,
    );
    expect(String(err)).toMatch(/no manifest.json or index.json/);
  });
});

describe('scratch files of a killed load', () => {
  it('are swept by the next store open; a live process keeps its own', async () => {
    const store = await Store.open(await tempDir());
    const dead = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    const leftover = `.scratch-${dead}.0.0123456789abcdef`;
    await writeFile(join(store.root, 'ingest', leftover), Buffer.alloc(1 << 20));
    const mine = await store.createScratchFile();
    await mine.fh.close();
    expect((await readdir(join(store.root, 'ingest'))).sort()).toEqual(
      [leftover, mine.path.split('/').pop()].sort(),
    );
    await Store.open(store.root);
    expect(await readdir(join(store.root, 'ingest'))).toEqual([mine.path.split('/').pop()]);
    expect(ownedName('.scratch-')).toMatch(/^\.scratch-\d+\.\d+\.[0-9a-f]{16}$/);
  });
});
