import { createWriteStream, linkSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { comparePaths, EarlierTar, EarlierTarUnusable } from '../../../core/diff/earlier-tar.js';
import { sameFiles } from '../../../core/diff/same-files.js';
import { type WriteLayerTarOptions, writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { cleanup, readBack, tempDir } from './fixtures.js';

const dirs: string[] = [];
afterEach(() => cleanup(...dirs.splice(0)));

function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

async function tarBytes(root: string, opts?: WriteLayerTarOptions) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const r = await writeLayerTar(root, out, opts);
  return { ...r, tar: Buffer.concat(chunks) };
}

async function tarFile(root: string, file: string): Promise<void> {
  const out = createWriteStream(file);
  await writeLayerTar(root, out);
  await finished(out);
}

const LONG = `${'l'.repeat(130)}.txt`;

/** A layer-like tree: dirs of small files, a long (PAX) name, a big file, a symlink. */
function makeLayer(root: string): string[] {
  const files: string[] = [];
  for (const d of ['a', 'a-b', 'a.b', 'b']) {
    mkdirSync(path.join(root, d), { recursive: true });
    for (let i = 0; i < 30; i++) {
      const rel = `${d}/f${String(i).padStart(2, '0')}`;
      writeFileSync(path.join(root, rel), `${rel}\n`.repeat(i));
      files.push(rel);
    }
  }
  mkdirSync(path.join(root, 'a/sub'));
  writeFileSync(path.join(root, 'a/sub', LONG), 'long\n');
  files.push(`a/sub/${LONG}`);
  writeFileSync(path.join(root, 'big'), Buffer.alloc(3 << 20, 9));
  files.push('big');
  symlinkSync('a/f00', path.join(root, 'link'));
  return files;
}

/** `next` = hard links to `prev`'s files, except those in `skip` (left out). */
function linkLayer(prev: string, next: string, files: string[], skip: Set<string>): Set<string> {
  const linked = new Set<string>();
  for (const rel of files) {
    mkdirSync(path.dirname(path.join(next, rel)), { recursive: true });
    if (skip.has(rel)) continue;
    linkSync(path.join(prev, rel), path.join(next, rel));
    linked.add(rel);
  }
  return linked;
}

describe('writeLayerTar with an earlier tar', () => {
  it('copies linked files from the earlier tar and writes the same bytes as a fresh walk', async () => {
    const prev = dir();
    const files = makeLayer(prev);
    const prevTar = path.join(dir(), 'prev.tar');
    await tarFile(prev, prevTar);
    const next = dir();
    const changed = new Set(['a/f05', 'a-b/f00', 'b/f29', `a/sub/${LONG}`, 'a.b/f07']);
    const same = linkLayer(prev, next, files, changed);
    writeFileSync(path.join(next, 'a/f05'), 'changed\n'); // changed
    writeFileSync(path.join(next, 'a-b/f00'), 'changed too\n'); // changed
    writeFileSync(path.join(next, 'a/f05a'), 'added\n'); // added; b/f29 and a.b/f07: deleted
    writeFileSync(path.join(next, 'a/sub', LONG), 'long, changed\n');
    symlinkSync('a/f01', path.join(next, 'link'));
    const fresh = await tarBytes(next);
    const tar = EarlierTar.open(prevTar);
    try {
      const spliced = await tarBytes(next, { earlier: { tar, files: sameFiles(same) } });
      expect(spliced.diffId).toBe(fresh.diffId);
      expect(spliced.tar.equals(fresh.tar)).toBe(true);
      expect(spliced.entries).toBe(fresh.entries);
      expect(tar.copied).toBe(same.size);
    } finally {
      tar.close();
    }
  });

  it('takes a listed name only in its own directory (f00 in a/, not in a-b/ or b/), and at the root', async () => {
    const prev = dir();
    const files = makeLayer(prev);
    const prevTar = path.join(dir(), 'prev.tar');
    await tarFile(prev, prevTar);
    const next = dir();
    linkLayer(prev, next, files, new Set());
    symlinkSync('a/f00', path.join(next, 'link'));
    const tar = EarlierTar.open(prevTar);
    try {
      const spliced = await tarBytes(next, { earlier: { tar, files: sameFiles(['a/f00', 'big']) } });
      expect(spliced.tar.equals((await tarBytes(next)).tar)).toBe(true);
      expect(tar.copied).toBe(2);
    } finally {
      tar.close();
    }
  });

  it('writes names the earlier tar lacks, or has as another type, afresh', async () => {
    const prev = dir();
    const files = makeLayer(prev);
    const prevTar = path.join(dir(), 'prev.tar');
    await tarFile(prev, prevTar);
    const next = dir();
    const same = linkLayer(prev, next, files, new Set());
    // Claimed "same" but not in the earlier tar as a file: never copied.
    writeFileSync(path.join(next, 'zz-new'), 'x');
    writeFileSync(path.join(next, 'link2'), 'y');
    const tar = EarlierTar.open(prevTar);
    try {
      const claims = new Set([...same, 'zz-new', 'link', 'link2']);
      const spliced = await tarBytes(next, { earlier: { tar, files: sameFiles(claims) } });
      expect(spliced.tar.equals((await tarBytes(next)).tar)).toBe(true);
      expect(tar.copied).toBe(same.size);
    } finally {
      tar.close();
    }
  });

  it('refuses an earlier tar that holds hard links (EarlierTarUnusable)', async () => {
    const prev = dir();
    mkdirSync(path.join(prev, 'd'));
    writeFileSync(path.join(prev, 'd/a'), 'a');
    linkSync(path.join(prev, 'd/a'), path.join(prev, 'd/b'));
    writeFileSync(path.join(prev, 'd/c'), 'c');
    const prevTar = path.join(dir(), 'prev.tar');
    await tarFile(prev, prevTar);
    const next = dir();
    const same = linkLayer(prev, next, ['d/a', 'd/b', 'd/c'], new Set());
    const tar = EarlierTar.open(prevTar);
    try {
      await expect(tarBytes(next, { earlier: { tar, files: sameFiles(same) } })).rejects.toBeInstanceOf(
        EarlierTarUnusable,
      );
    } finally {
      tar.close();
    }
  });
});

describe('comparePaths', () => {
  it('orders paths as writeLayerTar writes them', async () => {
    const root = dir();
    const names = ['a', 'a-b', 'a.b', 'a b', 'ab', 'é', 'A', '_'];
    for (const n of names) {
      mkdirSync(path.join(root, n, n), { recursive: true });
      writeFileSync(path.join(root, n, n, 'f'), n);
    }
    const { tar } = await tarBytes(root);
    const written = (await readBack(tar)).map((e) => e.header.name.replace(/\/$/, ''));
    expect(written.length).toBe(names.length * 3);
    expect([...written].sort(comparePaths)).toEqual(written);
  });

  it('puts a parent before its children and compares component by component', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-c./ -]{1,3}$/), { minLength: 1, maxLength: 3 }),
        fc.array(fc.stringMatching(/^[a-c./ -]{1,3}$/), { minLength: 1, maxLength: 3 }),
        (x, y) => {
          const clean = (p: string[]) => p.map((c) => c.replaceAll('/', '_')).join('/');
          const a = clean(x);
          const b = clean(y);
          const ca = a.split('/');
          const cb = b.split('/');
          let want = 0;
          for (let i = 0; i < Math.min(ca.length, cb.length) && want === 0; i++)
            want = ca[i] < cb[i] ? -1 : ca[i] > cb[i] ? 1 : 0;
          if (want === 0) want = ca.length - cb.length;
          expect(Math.sign(comparePaths(a, b))).toBe(Math.sign(want));
        },
      ),
    );
  });
});

describe('EarlierTar with recycled windows', () => {
  it('hashes the same as a fresh walk across many windows, PAX data split between two', async () => {
    const prev = dir();
    const files: string[] = [];
    // Paths over 512 bytes: each entry's PAX data is two blocks, read in two parts when it
    // falls across the end of a window.
    const deep = `d/${'x'.repeat(200)}/${'y'.repeat(200)}/${'z'.repeat(150)}`;
    mkdirSync(path.join(prev, deep), { recursive: true });
    for (let i = 0; i < 600; i++) {
      const rel = i % 2 ? `d/f${String(i).padStart(3, '0')}` : `${deep}/f${String(i).padStart(3, '0')}`;
      writeFileSync(path.join(prev, rel), Buffer.alloc(5000 + ((i * 7919) % 9000), i % 251));
      files.push(rel);
    }
    const prevTar = path.join(dir(), 'prev.tar');
    await tarFile(prev, prevTar);
    const next = dir();
    const same = linkLayer(prev, next, files, new Set(['d/f101', 'd/f499']));
    writeFileSync(path.join(next, 'd/f101'), 'changed');
    const fresh = await writeLayerTar(next, null);
    for (const [recycle, window] of [
      [true, 1 << 20],
      [false, 1 << 20],
      [true, 1024], // two blocks: every two-block PAX body and most file bodies cross windows
      [false, 1536],
    ] as const) {
      const tar = EarlierTar.open(prevTar, { recycle, window });
      try {
        const r = await writeLayerTar(next, null, { earlier: { tar, files: sameFiles(same) } });
        expect(r.diffId).toBe(fresh.diffId);
        expect(tar.copied).toBe(same.size);
        // One pass: a span is pushed before the window moves past it, never read twice.
        if (window === 1 << 20) expect(tar.bytesRead).toBeLessThanOrEqual(statSync(prevTar).size);
      } finally {
        tar.close();
      }
    }
  });
});
