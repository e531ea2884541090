import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { sha256 } from '../../../core/oci/digest.js';
import { InternalError } from '../../../core/oci/errors.js';
import { Store } from '../../../store/store.js';
import { cleanup, readBack, tempDir } from './fixtures.js';

const dirs: string[] = [];
afterEach(() => cleanup(...dirs.splice(0)));

const LONG = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(120)}.txt`;

/** A small tree with every kind of entry the writer handles without root. */
function makeTree(root: string, reverse = false): void {
  const steps: (() => void)[] = [
    () => mkdirSync(path.join(root, 'etc/app'), { recursive: true }),
    () => writeFileSync(path.join(root, 'etc/app/config'), 'key=value\n'),
    () => writeFileSync(path.join(root, 'etc/app-b'), 'sibling\n'),
    () => mkdirSync(path.join(root, path.dirname(LONG)), { recursive: true }),
    () => writeFileSync(path.join(root, LONG), 'long name\n'),
    () => writeFileSync(path.join(root, 'héllo wörld'), 'utf8\n'),
    () => writeFileSync(path.join(root, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 7)),
    () => writeFileSync(path.join(root, 'empty'), ''),
  ];
  for (const s of reverse ? [...steps].reverse() : steps) {
    try {
      s();
    } catch {
      // reverse order: a parent may be missing; create it and retry
      mkdirSync(path.join(root, 'etc/app'), { recursive: true });
      mkdirSync(path.join(root, path.dirname(LONG)), { recursive: true });
      s();
    }
  }
  writeFileSync(path.join(root, 'bin-su'), '#!/bin/sh\n');
  chmodSync(path.join(root, 'bin-su'), 0o4755);
  writeFileSync(path.join(root, 'noperm'), 'x');
  chmodSync(path.join(root, 'noperm'), 0);
  linkSync(path.join(root, 'etc/app/config'), path.join(root, 'a-hardlink'));
  symlinkSync('../etc/app/config', path.join(root, 'etc/link'));
  symlinkSync('t'.repeat(150), path.join(root, 'longlink'));
}

async function tarOf(root: string, opts?: { sourceDateEpoch?: number }) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const r = await writeLayerTar(root, out, opts);
  return { ...r, tar: Buffer.concat(chunks) };
}

describe('writeLayerTar', () => {
  it('is deterministic: same tree, same diffID; the diffID is the sha256 of the bytes', async () => {
    const a = tempDir();
    dirs.push(a);
    makeTree(a);
    const r1 = await tarOf(a);
    const r2 = await tarOf(a);
    expect(r1.diffId).toBe(r2.diffId);
    expect(r1.diffId).toBe(sha256(r1.tar));
    expect(r1.size).toBe(r1.tar.length);
    expect(r1.tar.length % 512).toBe(0);
    const hashOnly = await writeLayerTar(a, null);
    expect(hashOnly).toEqual({ diffId: r1.diffId, size: r1.size, entries: r1.entries });
  });

  it('gives the same diffID for trees built at different times and orders when mtimes are clamped', async () => {
    const a = tempDir();
    const b = tempDir();
    dirs.push(a, b);
    makeTree(a);
    makeTree(b, true);
    utimesSync(path.join(b, 'etc/app/config'), 2_000_000_000, 2_000_000_000);
    const epoch = 1_700_000_000;
    const ra = await tarOf(a, { sourceDateEpoch: epoch });
    const rb = await tarOf(b, { sourceDateEpoch: epoch });
    expect(ra.diffId).toBe(rb.diffId);
    // and older mtimes are kept, not raised to the epoch
    utimesSync(path.join(b, 'empty'), 1000, 1000);
    const rc = await tarOf(b, { sourceDateEpoch: epoch });
    expect(rc.diffId).not.toBe(rb.diffId);
    const entries = await readBack(rc.tar);
    expect(entries.find((e) => e.header.name === 'empty')?.header.mtime.getTime()).toBe(1_000_000);
    expect(entries.every((e) => e.header.mtime.getTime() <= epoch * 1000)).toBe(true);
  });

  it('writes sorted entries, parents first, numeric ids, hardlinks, symlinks and PAX long names', async () => {
    const a = tempDir();
    dirs.push(a);
    makeTree(a);
    const { tar, entries } = await tarOf(a);
    const back = await readBack(tar);
    expect(back.length).toBe(entries);
    const names = back.map((e) => e.header.name);
    expect(names).toEqual([
      'a-hardlink',
      'big.bin',
      'bin-su',
      `${'d'.repeat(60)}/`,
      `${'d'.repeat(60)}/${'e'.repeat(60)}/`,
      LONG,
      'empty',
      'etc/',
      'etc/app/',
      'etc/app/config',
      'etc/app-b',
      'etc/link',
      'héllo wörld',
      'longlink',
      'noperm',
    ]);
    for (const e of back) {
      expect(e.header.uname).toBe('');
      expect(e.header.gname).toBe('');
      expect(e.header.uid).toBe(process.getuid?.());
    }
    const byName = new Map(back.map((e) => [e.header.name, e]));
    // the first path in walk order holds the data; the later one links to it
    expect(byName.get('a-hardlink')?.header.type).toBe('file');
    expect(byName.get('a-hardlink')?.body.toString()).toBe('key=value\n');
    expect(byName.get('etc/app/config')?.header.type).toBe('link');
    expect(byName.get('etc/app/config')?.header.linkname).toBe('a-hardlink');
    expect(byName.get('etc/link')?.header).toMatchObject({ type: 'symlink', linkname: '../etc/app/config' });
    expect(byName.get('longlink')?.header.linkname).toBe('t'.repeat(150));
    expect(byName.get(LONG)?.body.toString()).toBe('long name\n');
    expect(byName.get('bin-su')?.header.mode).toBe(0o4755);
    expect(byName.get('noperm')?.header.mode).toBe(0);
    expect(byName.get('big.bin')?.body.equals(Buffer.alloc(3 * 1024 * 1024 + 17, 7))).toBe(true);
    expect(byName.get('héllo wörld')?.body.toString()).toBe('utf8\n');
  });

  it('writes a FIFO as a fifo entry with its mode and mtime, no size and no device numbers', async () => {
    const a = tempDir();
    dirs.push(a);
    execFileSync('mkfifo', ['-m', '0640', path.join(a, 'pipe')]);
    utimesSync(path.join(a, 'pipe'), 1_000_000, 1_000_000);
    writeFileSync(path.join(a, 'run.sh'), '#!/bin/sh\n');
    chmodSync(path.join(a, 'run.sh'), 0o755);
    const back = await readBack((await tarOf(a)).tar);
    expect(back.map((e) => e.header)).toMatchObject([
      { name: 'pipe', type: 'fifo', mode: 0o640, size: 0, devmajor: 0, devminor: 0, linkname: null },
      { name: 'run.sh', type: 'file', mode: 0o755, size: 10, linkname: null },
    ]);
    expect(back[0].header.mtime?.getTime()).toBe(1_000_000_000);
  });
  it('orders each directory bytewise: files, dirs and symlinks mixed, astral names after high-BMP ones', async () => {
    const a = tempDir();
    dirs.push(a);
    // UTF-16 order puts U+1F600 (a surrogate pair, D83D DE00) before U+FF5E; UTF-8 bytes
    // (F0 9F 98 80 against EF BD 9E) put it after, and the tar must follow the bytes.
    const mixed = ['b', 'a', 'a-dir', 'z', '\u00e9', '\uff5e', '\u{1f600}', '\u{1f600}x'];
    mkdirSync(path.join(a, 'm'));
    for (const n of mixed) {
      if (n === 'a-dir') mkdirSync(path.join(a, 'm', n));
      else writeFileSync(path.join(a, 'm', n), n);
    }
    const ascii = ['x.txt', 'X', 'x', 'x-1', 'x.d', '_'];
    mkdirSync(path.join(a, 'p'));
    for (const n of ascii) {
      if (n === 'x.d') mkdirSync(path.join(a, 'p', n));
      else if (n === '_') symlinkSync('x', path.join(a, 'p', n));
      else writeFileSync(path.join(a, 'p', n), n);
    }
    const { tar } = await tarOf(a);
    const names = (await readBack(tar)).map((e) => e.header.name.replace(/\/$/, ''));
    const bytewise = (dir: string, list: string[]) =>
      list.map((n) => `${dir}/${n}`).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(names).toEqual(['m', ...bytewise('m', mixed), 'p', ...bytewise('p', ascii)]);
    expect(names.indexOf('m/\u{1f600}')).toBeGreaterThan(names.indexOf('m/\uff5e'));
  });

  it("into a blob ingest, takes the ingest's digest as the diffID: the same as hashing the bytes here", async () => {
    const a = tempDir();
    const root = tempDir();
    dirs.push(a, root);
    makeTree(a);
    const own = await tarOf(a);
    const store = await Store.open(root);
    const ingest = await store.ingest();
    const r = await writeLayerTar(a, ingest.stream, { hashedBy: ingest });
    expect(r).toEqual({ diffId: own.diffId, size: own.size, entries: own.entries });
    await ingest.commit({ digest: r.diffId, size: r.size });
    expect(sha256(await store.readBlob(r.diffId))).toBe(own.diffId);
    // An output that says it hashed other bytes than were written is a bug, not a diffID.
    const out = new PassThrough();
    out.resume();
    const liar = { digest: async () => ({ digest: own.diffId, size: own.size + 512 }) };
    await expect(writeLayerTar(a, out, { hashedBy: liar })).rejects.toBeInstanceOf(InternalError);
  });

  it('is read by GNU tar without complaint, long and non-ASCII names intact', async () => {
    const a = tempDir();
    dirs.push(a);
    makeTree(a);
    const { tar } = await tarOf(a);
    const file = path.join(a, '..', `${path.basename(a)}.tar`);
    writeFileSync(file, tar);
    try {
      const listed = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
      expect(listed).toContain(LONG);
      expect(listed).toContain('héllo wörld');
      expect(listed).toContain('longlink');
    } finally {
      cleanup(file);
    }
  });

  it('fails when the output stream fails', async () => {
    const a = tempDir();
    dirs.push(a);
    makeTree(a);
    const out = new PassThrough({ highWaterMark: 1024 });
    out.on('data', () => out.destroy(new Error('disk gone')));
    await expect(writeLayerTar(a, out)).rejects.toThrow(/disk gone|closed early/);
  });
});

describe('writeLayerTar refuses content named like a whiteout', () => {
  it('a regular file .wh.passwd (from COPY or a RUN) cannot enter a layer', async () => {
    const a = tempDir();
    dirs.push(a);
    mkdirSync(path.join(a, 'etc'));
    writeFileSync(path.join(a, 'etc/.wh.passwd'), '');
    await expect(tarOf(a)).rejects.toThrow(/"etc\/\.wh\.passwd".*means "deleted"/);
  });
});
