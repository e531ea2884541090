/**
 * Resources: a full disk during a build and decompression bombs.
 *   - The store on a 4 MiB tmpfs (busybox takes ~2 MiB of it): a COPY and a RUN that write
 *     more than is left fail with a clear error; no staging dir, ingest file or record is
 *     left; fsck is clean; and a small build afterwards succeeds on the same store.
 *   - A gzip bomb (1 GiB of zeros in ~1 MiB) stops at applyLayer's byte cap, and the
 *     process's resident memory grows by far less than the cap while it expands; an
 *     entry-count bomb stops at the entry cap.
 * Needs root (mount, runc); fails, never skips, without it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLayer } from '../../core/diff/apply-layer.js';
import { InvalidInputError } from '../../core/oci/errors.js';
import { requireRoot, useTempDirs } from '../e2e/helpers/index.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { strata, strataOk } from '../helpers/cli.js';
import { gzipZeros } from '../helpers/gzip-bomb.js';
import { headerBlock } from '../helpers/hostile-tar-headers.js';
import { rawTar } from './helpers/docker-archive.js';
import { useFigures } from './helpers/figures.js';
import { cacheKeys, fsckStore, leftovers, mountsUnder, problemLines } from './helpers/store-checks.js';
import { snapshotTree, treeDiff } from './helpers/store-tree.js';

const tmp = useTempDirs();
const figures = useFigures(import.meta.filename);

describe('a full disk during a build', () => {
  let mnt: string | undefined;
  let root: string;
  let ctx: string;

  beforeAll(async () => {
    requireRoot();
    const dir = await tmp('strata-enospc-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    mnt = dir;
    root = join(dir, 'store');
    await importBusybox(root);
    ctx = await tmp('strata-enospc-ctx-');
    await writeFile(join(ctx, 'small.txt'), 'small\n');
    await writeFile(join(ctx, 'big.bin'), randomBytes(3 << 20));
  }, 60_000);

  afterAll(() => {
    if (mnt !== undefined) execFileSync('umount', ['-l', mnt]);
  });

  async function expectNothingHalfStored(before: Map<string, string>, keys: Set<string>): Promise<void> {
    expect(await leftovers(root)).toEqual([]);
    expect(await mountsUnder(root)).toEqual([]);
    expect(await cacheKeys(root)).toEqual(keys);
    const changed = treeDiff(before, await snapshotTree(root)).filter((d) => !d.includes('meta/'));
    expect(changed).toEqual([]);
    const report = await fsckStore(root);
    figures.fsckRan(report.problems.length === 0);
    expect(problemLines(report)).toEqual([]);
  }

  it('a COPY bigger than the free space: E_NO_SPACE, nothing half-stored, fsck clean', async () => {
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY big.bin /big.bin\n');
    const before = await snapshotTree(root);
    const keys = await cacheKeys(root);
    const r = await strata(['build', '--root', root, '--progress', 'plain', ctx]);
    figures.faultsInjected++;
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toMatch(/no space left on device/i);
    expect(r.stderr).not.toMatch(/internal error/);
    await expectNothingHalfStored(before, keys);
  });

  it('a RUN that fills the disk: the step fails clearly, nothing half-stored, fsck clean', async () => {
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN dd if=/dev/zero of=/fill bs=1M count=8\n');
    const before = await snapshotTree(root);
    const keys = await cacheKeys(root);
    const r = await strata(['build', '--root', root, '--progress', 'plain', ctx]);
    figures.faultsInjected++;
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.code, r.stderr).not.toBe(70);
    expect(r.stderr).toMatch(/no space left on device|did not complete successfully|exit code/i);
    await expectNothingHalfStored(before, keys);
  });

  it('the same store still builds once the input fits', async () => {
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nCOPY small.txt /small.txt\nRUN cat /small.txt > /copy\n',
    );
    const r = await strataOk(['build', '--root', root, '--progress', 'plain', '-t', 'small:1', ctx]);
    figures.buildsSurvived++;
    expect(r.stderr).toMatch(/writing image sha256:[0-9a-f]{64} \(0 cached, 2 built\)/);
    const report = await fsckStore(root);
    figures.fsckRan(report.problems.length === 0);
    expect(problemLines(report)).toEqual([]);
  });
});

describe('decompression bombs', () => {
  beforeAll(() => requireRoot());

  /**
   * A gzip tar of `size` zero bytes in 16 MiB files: each file fits the cap, so the reader
   * streams up to it (one file of `size` would be refused at its header, reading nothing).
   * The zeros are one compressed run reused (test/helpers/gzip-bomb.ts): the bomb costs one
   * small compression to make, never `size` bytes of memory.
   */
  function gzipBomb(size: number): Buffer {
    const run = 16 << 20;
    const members = Array.from({ length: size / run }, (_, i) =>
      Buffer.concat([gzipSync(headerBlock({ name: `zeros${i}`, size: run })), gzipZeros(1, run)]),
    );
    return Buffer.concat([...members, gzipSync(Buffer.alloc(1024))]);
  }

  it('1 GiB of zeros in ~1 MiB of gzip stops at a 128 MiB cap with bounded memory', async () => {
    const bomb = gzipBomb(1 << 30);
    expect(bomb.length).toBeLessThan(2 << 20);
    const dir = await tmp('strata-bomb-');
    await mkdir(join(dir, 'root'));
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const cap = 128 << 20;
    const err = await applyLayer(join(dir, 'root'), Readable.from([bomb]), { maxBytes: cap }).catch(
      (e: unknown) => e,
    );
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    figures.badInputsTried++;
    expect(err).toBeInstanceOf(InvalidInputError);
    // Stopped by the stream cap, or at the header of the first file that no longer fits.
    expect(String(err)).toMatch(new RegExp(`more than (${cap} bytes|the \\d+ left)`));
    const deltaMiB = (peak - base) / 2 ** 20;
    console.log(
      `[reliability] resources: gzip bomb stopped at the ${cap >> 20} MiB cap; RSS grew ${deltaMiB.toFixed(1)} MiB`,
    );
    // Streaming: memory stays far below the cap (everything buffered would be >= 128 MiB).
    expect(deltaMiB).toBeLessThan(64);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('an entry-count bomb stops at the entry cap', async () => {
    const many = gzipSync(await rawTar(Array.from({ length: 6000 }, (_, i) => ({ name: `f${i}` }))));
    const dir = await tmp('strata-bomb-');
    await mkdir(join(dir, 'root'));
    const err = await applyLayer(join(dir, 'root'), Readable.from([many]), { maxEntries: 2000 }).catch(
      (e: unknown) => e,
    );
    figures.badInputsTried++;
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((await readdir(join(dir, 'root'))).length).toBeLessThanOrEqual(2000);
  });
});
