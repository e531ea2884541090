import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from '../../../core/diff/apply-layer.js';
import { writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { sha256 } from '../../../core/oci/digest.js';
import { InvalidInputError, SecurityError } from '../../../core/oci/errors.js';
import { cleanup, type RawEntry, rawTar, snapshotTree, streamOf, tempDir } from './fixtures.js';

let base: string;
let root: string;
let sentinel: string;
beforeEach(() => {
  base = tempDir();
  root = path.join(base, 'root');
  sentinel = path.join(base, 'sentinel');
  mkdirSync(root);
  mkdirSync(sentinel);
  writeFileSync(path.join(sentinel, 'file'), 'untouched');
});
afterEach(() => cleanup(base));

/** Nothing outside root changed: base holds exactly root and sentinel, sentinel as made. */
function expectOutsideUntouched(): void {
  expect(readdirSync(base).sort()).toEqual(['root', 'sentinel']);
  expect(readdirSync(sentinel)).toEqual(['file']);
  expect(readFileSync(path.join(sentinel, 'file'), 'utf8')).toBe('untouched');
  expect(lstatSync(path.join(sentinel, 'file')).nlink).toBe(1);
}

async function rejects(
  entries: RawEntry[],
  kind: typeof SecurityError | typeof InvalidInputError,
  opts = {},
) {
  const err = await applyLayer(root, streamOf(rawTar(entries)), opts).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(kind);
  expectOutsideUntouched();
  return err as Error;
}

describe('applyLayer', () => {
  it('unpacks files, dirs, symlinks and hardlinks, and hashes the tar it read', async () => {
    const tar = rawTar([
      { name: 'etc/', type: 'dir', mode: 0o755 },
      { name: 'etc/passwd', body: 'root:x:0:0\n', mode: 0o600 },
      { name: './etc/hosts', body: '127.0.0.1 localhost\n' },
      { name: '/abs/file', body: 'made relative\n' },
      { name: 'etc/link', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'etc/hard', type: 'link', linkname: 'etc/passwd' },
      { name: 'bin/su', body: 'x', mode: 0o4755 },
    ]);
    const r = await applyLayer(root, streamOf(tar));
    expect(r).toEqual({ diffId: sha256(tar), entries: 7, size: tar.length });
    expect(readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toBe('root:x:0:0\n');
    expect(readFileSync(path.join(root, 'abs/file'), 'utf8')).toBe('made relative\n');
    expect(existsSync('/abs/file')).toBe(false);
    expect(readlinkSync(path.join(root, 'etc/link'))).toBe('/etc/passwd');
    expect(lstatSync(path.join(root, 'etc/hard')).ino).toBe(lstatSync(path.join(root, 'etc/passwd')).ino);
    expect(lstatSync(path.join(root, 'etc/passwd')).mode & 0o7777).toBe(0o600);
    expect(lstatSync(path.join(root, 'bin/su')).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(path.join(root, 'etc/passwd')).mtimeMs).toBe(1_000_000_000);
    expectOutsideUntouched();
  });

  it('detects gzip by magic and reports the diffID of the uncompressed tar', async () => {
    const tar = rawTar([{ name: 'a.txt', body: 'hello' }]);
    const r = await applyLayer(root, streamOf(gzipSync(tar)));
    expect(r.diffId).toBe(sha256(tar));
    expect(readFileSync(path.join(root, 'a.txt'), 'utf8')).toBe('hello');
  });

  it('round-trips: writeLayerTar -> applyLayer -> writeLayerTar gives the same diffID', async () => {
    const src = path.join(base, 'src');
    mkdirSync(path.join(src, 'usr/share/doc'), { recursive: true });
    writeFileSync(path.join(src, 'usr/share/doc/readme'), 'read me\n');
    writeFileSync(path.join(src, 'usr/big'), Buffer.alloc(2_500_000, 3));
    writeFileSync(path.join(src, 'x'.repeat(200)), 'long\n');
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const first = await writeLayerTar(src, out, { sourceDateEpoch: 1_600_000_000 });
    const applied = await applyLayer(root, streamOf(gzipSync(Buffer.concat(chunks)), 65536));
    expect(applied.diffId).toBe(first.diffId);
    const again = await writeLayerTar(root, null, { sourceDateEpoch: 1_600_000_000 });
    expect(again.diffId).toBe(first.diffId);
    expect(snapshotTree(root)).toEqual(snapshotTree(src));
  });

  it('lets a later entry replace an earlier one without writing through it', async () => {
    await applyLayer(
      root,
      streamOf(
        rawTar([
          { name: 'f', body: 'first' },
          { name: 'h', type: 'link', linkname: 'f' },
          { name: 'h', body: 'second' }, // must not change f through the shared inode
          { name: 'd/', type: 'dir' },
          { name: 'd/child', body: 'c' },
          { name: 'd', body: 'now a file' },
        ]),
      ),
    );
    expect(readFileSync(path.join(root, 'f'), 'utf8')).toBe('first');
    expect(readFileSync(path.join(root, 'h'), 'utf8')).toBe('second');
    expect(readFileSync(path.join(root, 'd'), 'utf8')).toBe('now a file');
  });

  describe('refuses hostile tars and touches nothing outside the root', () => {
    it('../ names', async () => {
      await rejects([{ name: '../sentinel/file', body: 'pwned' }], SecurityError);
      await rejects([{ name: 'a/../../sentinel/x', body: 'pwned' }], SecurityError);
      await rejects([{ name: '/../sentinel/x', body: 'pwned' }], SecurityError);
    });

    it('writes through a symlink made earlier in the tar', async () => {
      await rejects(
        [
          { name: 'l', type: 'symlink', linkname: sentinel },
          { name: 'l/pwned', body: 'pwned' },
        ],
        SecurityError,
      );
      await rejects(
        [
          { name: 'rel', type: 'symlink', linkname: '../sentinel' },
          { name: 'rel/file', body: 'pwned' },
        ],
        SecurityError,
      );
    });

    it('a dir replaced by a symlink, then a write below it', async () => {
      await rejects(
        [
          { name: 'a/', type: 'dir' },
          { name: 'a', type: 'symlink', linkname: sentinel },
          { name: 'a/x', body: 'pwned' },
        ],
        SecurityError,
      );
    });

    it('hardlinks to outside or to paths this tar did not make', async () => {
      await rejects([{ name: 'h', type: 'link', linkname: '../sentinel/file' }], SecurityError);
      await rejects([{ name: 'h', type: 'link', linkname: path.join(sentinel, 'file') }], SecurityError);
      await rejects([{ name: 'h', type: 'link', linkname: 'etc/passwd' }], SecurityError);
    });

    it('a hardlink to a symlink links the symlink; rewriting it replaces the link', async () => {
      await applyLayer(
        root,
        streamOf(
          rawTar([
            { name: 's', type: 'symlink', linkname: path.join(sentinel, 'file') },
            { name: 'h', type: 'link', linkname: 's' },
            { name: 'h', body: 'pwned?' },
          ]),
        ),
      );
      expect(lstatSync(path.join(root, 's')).isSymbolicLink()).toBe(true);
      expect(readFileSync(path.join(root, 'h'), 'utf8')).toBe('pwned?');
      expectOutsideUntouched();
    });

    it('.wh. tricks', async () => {
      await rejects([{ name: '.wh..' }], InvalidInputError);
      await rejects([{ name: 'a/.wh.' }], InvalidInputError);
      await rejects([{ name: 'a/.wh...' }], SecurityError);
      await rejects([{ name: '.wh.file', body: 'content' }], InvalidInputError);
      await rejects([{ name: '.wh.dir/', type: 'dir' }], InvalidInputError);
      await rejects([{ name: '.wh.x', type: 'symlink', linkname: sentinel }], InvalidInputError);
      await rejects([{ name: '.wh.d/file', body: 'x' }], InvalidInputError);
      await rejects([{ name: '.wh.../sentinel' }], InvalidInputError);
    });

    it('a symlink named . or / cannot replace the root', async () => {
      await applyLayer(
        root,
        streamOf(
          rawTar([
            { name: '.', type: 'symlink', linkname: sentinel },
            { name: '/', type: 'symlink', linkname: sentinel },
            { name: 'x', body: 'inside' },
          ]),
        ),
      );
      expect(lstatSync(root).isDirectory()).toBe(true);
      expect(readFileSync(path.join(root, 'x'), 'utf8')).toBe('inside');
      expectOutsideUntouched();
    });

    it('size and entry caps, also for a gzip bomb', async () => {
      await rejects([{ name: 'big', body: Buffer.alloc(2 << 20) }], InvalidInputError, { maxBytes: 1 << 20 });
      const many = Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, body: 'x' }));
      await rejects(many, InvalidInputError, { maxEntries: 10 });
      const bomb = gzipSync(rawTar([{ name: 'zeros', body: Buffer.alloc(24 << 20) }]));
      expect(bomb.length).toBeLessThan(1 << 20);
      const err = await applyLayer(root, streamOf(bomb), { maxBytes: 4 << 20 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      // Refused at its header: the entry declares more than the cap leaves.
      expect(String(err)).toMatch(/"zeros" declares 25165824 bytes, more than the \d+ left/);
      expectOutsideUntouched();
    });

    it('truncated and corrupt streams', async () => {
      const tar = rawTar([
        { name: 'f', body: Buffer.alloc(5000, 1) },
        { name: 'g', body: 'x' },
      ]);
      for (const cut of [100, 512 + 1000, 512 + 5120, tar.length - 1024]) {
        const err = await applyLayer(root, streamOf(tar.subarray(0, cut))).catch((e: unknown) => e);
        expect(err, `cut at ${cut}`).toBeInstanceOf(InvalidInputError);
      }
      const gz = gzipSync(tar);
      const err = await applyLayer(root, streamOf(gz.subarray(0, gz.length - 10))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      const bad = Buffer.from(tar);
      bad[10] ^= 0xff; // breaks the header checksum
      expect(await applyLayer(root, streamOf(bad)).catch((e: unknown) => e)).toBeInstanceOf(
        InvalidInputError,
      );
      expectOutsideUntouched();
    });

    it('sparse and unknown entry types, control characters in names', async () => {
      const sparse = rawTar([{ name: 's', body: 'x' }]);
      sparse[156] = 0x53; // 'S'
      // fix the checksum after changing the typeflag
      sparse.fill(0x20, 148, 156);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += sparse[i];
      sparse.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
      expect(await applyLayer(root, streamOf(sparse)).catch((e: unknown) => e)).toBeInstanceOf(
        InvalidInputError,
      );
      await rejects([{ name: 'evil\nname', body: 'x' }], InvalidInputError);
    });
  });
});

describe('applyLayer of a user archive (ADD): nothing in it can delete', () => {
  it('refuses a .wh. name instead of reading it as a whiteout of /etc/passwd', async () => {
    const entries = [
      { name: 'etc/', type: 'dir' as const },
      { name: 'etc/.wh.passwd', body: '' },
    ];
    const err = await applyLayer(root, streamOf(rawTar(entries)), { kind: 'user' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(String(err)).toMatch(/"etc\/\.wh\.passwd".*means "deleted"/);
    expect(existsSync(path.join(root, 'etc/passwd'))).toBe(false);
    expectOutsideUntouched();
  });
  it('refuses the opaque marker too', async () => {
    await rejects([{ name: 'etc/.wh..wh..opq', body: '' }], InvalidInputError, { kind: 'user' });
  });
  it('the same tar as a layer is a whiteout (the layer format is unchanged)', async () => {
    await applyLayer(root, streamOf(rawTar([{ name: 'etc/.wh.passwd', body: '' }])));
    expect(lstatSync(path.join(root, 'etc/passwd')).isCharacterDevice()).toBe(true);
  });
});
