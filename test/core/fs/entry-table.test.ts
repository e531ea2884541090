/**
 * EntryTable rows read back every FileEntry field exactly as entryFromStat gives them for
 * the same lstat (the entries of a context walk were plain objects before), across block
 * boundaries, for every kind of entry the context can hold, and with the rare fields
 * (bigint stat keys, host paths that are not root + rel) kept per row.
 */
import type { BigIntStats } from 'node:fs';
import { lstatSync, mkdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EntryTable } from '../../../core/fs/entry-table.js';
import { entryFromStat, type FileEntry } from '../../../core/fs/file-entry.js';

const OWNER = { uid: 0, gid: 0 };
const FIELDS = [
  'rel',
  'abs',
  'type',
  'mode',
  'uid',
  'gid',
  'size',
  'mtime',
  'statKey',
  'rdev',
  'linkTarget',
] as const;

function fields(e: FileEntry): Record<string, unknown> {
  return Object.fromEntries(FIELDS.map((k) => [k, e[k]]));
}

async function tree(files: number): Promise<string> {
  const root = await realpath(await mkdtemp(path.join(tmpdir(), 'strata-table-')));
  mkdirSync(path.join(root, 'd'));
  for (let i = 0; i < files; i++) writeFileSync(path.join(root, 'd', `f${i}`), 'x'.repeat(i % 7));
  symlinkSync('../d/f1', path.join(root, 'link'));
  return root;
}

describe('EntryTable', () => {
  it('reads back every field as entryFromStat makes it, over many blocks', async () => {
    const root = await tree(2500);
    const t = new EntryTable(OWNER);
    const rels = ['', 'd', 'link', ...Array.from({ length: 2500 }, (_, i) => `d/f${i}`)];
    const rows = rels.map((rel) => {
      const abs = rel === '' ? root : `${root}/${rel}`;
      const st = lstatSync(abs);
      const link = st.isSymbolicLink() ? readlinkSync(abs) : undefined;
      return { row: t.add(rel, abs, st, link), plain: entryFromStat(rel, abs, st, OWNER, link) };
    });
    expect(t.size).toBe(rels.length);
    for (const { row, plain } of rows) expect(fields(row)).toEqual(fields(plain));
    expect(rows[2].row.linkTarget).toBe('../d/f1');
    expect(rows[0].row.type).toBe('dir');
    expect(rows[2].row.type).toBe('symlink');
    expect(rows[5].row.size).toBe(2);
  });

  it('keeps digests, fingerprints and the implied flag per row', async () => {
    const root = await tree(40);
    const t = new EntryTable(OWNER);
    const rows = Array.from({ length: 40 }, (_, i) =>
      t.add(`d/f${i}`, `${root}/d/f${i}`, lstatSync(`${root}/d/f${i}`)),
    );
    rows.forEach((r, i) => {
      r.digest = `sha256:${String(i).padStart(64, '0')}`;
      r.fingerprint = `${i}.`;
      if (i % 3 === 0) r.implied = true;
    });
    rows[3].implied = false;
    rows.forEach((r, i) => {
      expect(r.digest).toBe(`sha256:${String(i).padStart(64, '0')}`);
      expect(r.fingerprint).toBe(`${i}.`);
      expect(r.implied).toBe(i % 3 === 0 && i !== 3 ? true : undefined);
      expect(r.mode).toBe(lstatSync(`${root}/d/f${i}`).mode & 0o7777);
    });
  });

  it('keeps a bigint stat key and a host path that is not root + rel as given', async () => {
    const root = await tree(3);
    const t = new EntryTable({ uid: 7, gid: 8 });
    const big = lstatSync(`${root}/d/f1`, { bigint: true }) as BigIntStats;
    const a = t.add('d/f1', `${root}/d/f1`, big);
    expect(a.statKey).toBe(`${big.ino}:${big.mtimeNs}:${big.ctimeNs}`);
    expect(a.mtime).toBe(Number(big.mtimeNs) / 1e9);
    expect(a.abs).toBe(`${root}/d/f1`);
    const elsewhere = t.add('d/f2', `${root}/d/../d/f2`, lstatSync(`${root}/d/f2`));
    expect(elsewhere.abs).toBe(`${root}/d/../d/f2`);
    expect([a.uid, a.gid]).toEqual([7, 8]);
  });

  it('derives host paths below a root of /', () => {
    const t = new EntryTable(OWNER);
    const r = t.add('', '/', lstatSync('/'));
    const tmp = t.add('tmp', '/tmp', lstatSync('/tmp'));
    expect([r.abs, tmp.abs]).toEqual(['/', '/tmp']);
  });
});
