import { describe, expect, it } from 'vitest';
import { keptTarOf, LayerFilesWriter, PreviousFiles } from '../../../core/copy/layer-files.js';
import type { FileEntry } from '../../../core/fs/file-entry.js';
import type { Digest } from '../../../core/oci/digest.js';

const hex = (n: number) => n.toString(16).padStart(64, '0');
const dg = (n: number): Digest => `sha256:${hex(n)}`;
const TAR = dg(0xabc);
const entry = (digest: string | undefined, mtime: number): FileEntry =>
  ({
    rel: '',
    abs: '',
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 1,
    mtime,
    statKey: '',
    digest,
  }) as FileEntry;

/** Targets in an order a copy of two sources could write them, odd names included. */
const TARGETS = ['/b/x', '/a/z', '/a/y', '/a-b', '/tab\there', '/new\nline', '/back\\slash', '/é'];

function written(): LayerFilesWriter {
  const w = new LayerFilesWriter();
  TARGETS.forEach((t, i) => {
    w.add(t, dg(i + 1), 1_700_000_000.123 + i);
  });
  return w;
}

describe('layer files', () => {
  it('round-trips: each target links only with its own digest and mtime, in any order', () => {
    const text = written().serialize(TAR, ['/a/z', '/a/y', '/a-b']);
    const keys = text
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t')[0]);
    expect(keys).toEqual([...keys].sort());
    const prev = new PreviousFiles(Buffer.from(text), '/layer/diff', undefined);
    expect(prev.tar).toBe(TAR);
    for (const order of [TARGETS, [...TARGETS].reverse()]) {
      for (const t of order) {
        const i = TARGETS.indexOf(t);
        expect(prev.reuse(t, entry(dg(i + 1), 1_700_000_000.123 + i))).toBe(`/layer/diff${t}`);
        expect(prev.reuse(t, entry(dg(i + 2), 1_700_000_000.123 + i))).toBeUndefined();
        expect(prev.reuse(t, entry(dg(i + 1), 1_700_000_000.124 + i))).toBeUndefined();
      }
    }
    expect(prev.reuse('/missing', entry(dg(1), 1_700_000_000.123))).toBeUndefined();
    expect(prev.reuse('/b/x', entry(undefined, 1_700_000_000.123))).toBeUndefined();
    expect(keptTarOf(Buffer.from(text))).toBe(TAR);
  });

  it('notes which answers are inodes of the kept tar, in the order it answered them', () => {
    const text = written().serialize(TAR, ['/a/z', '/a/y', '/a-b']);
    const prev = new PreviousFiles(Buffer.from(text), '/layer/diff', undefined);
    const answered = TARGETS.filter((t, i) => prev.reuse(t, entry(dg(i + 1), 1_700_000_000.123 + i)));
    expect(answered).toEqual(TARGETS);
    expect(prev.reuse('/a/z', entry(dg(99), 1))).toBeUndefined(); // a refusal notes nothing
    expect(prev.linkedFromTar(answered)).toEqual(['/a/z', '/a/y', '/a-b']);
    // A link that failed (the file was copied instead) is not an inode of the tar.
    expect(prev.linkedFromTar(answered.filter((t) => t !== '/a/y'))).toEqual(['/a/z', '/a-b']);
    expect(prev.linkedFromTar([])).toEqual([]);
    // Once the copy is done with it, the list's rows are let go: it links nothing more, and
    // still knows which of its answers are inodes of the tar.
    prev.doneReusing();
    expect(prev.reuse('/b/x', entry(dg(1), 1_700_000_000.123))).toBeUndefined();
    expect(prev.linkedFromTar(answered)).toEqual(['/a/z', '/a/y', '/a-b']);
    expect(prev.tar).toBe(TAR);
  });

  it('without a kept tar nothing is from a tar', () => {
    const text = written().serialize(undefined, 'all');
    expect(keptTarOf(Buffer.from(text))).toBeUndefined();
    const prev = new PreviousFiles(Buffer.from(text), '/d', undefined);
    expect(prev.reuse('/a/y', entry(dg(3), 1_700_000_002.123))).toBe('/d/a/y');
    expect(prev.linkedFromTar(['/a/y'])).toEqual([]);
  });

  it('still reads version 2 (JSON), and reuses nothing from version 1 or a foreign blob', () => {
    const v2 = {
      v: 2,
      tar: TAR,
      files: [
        ['/a', dg(1), 5, 1],
        ['/b', dg(2), 6, 0],
        ['/c', 'not a digest', 7, 0],
      ],
    };
    const prev = new PreviousFiles(Buffer.from(JSON.stringify(v2)), '/d', undefined);
    expect(prev.reuse('/a', entry(dg(1), 5))).toBe('/d/a');
    expect(prev.reuse('/b', entry(dg(2), 6))).toBe('/d/b');
    expect(prev.linkedFromTar(['/a', '/b'])).toEqual(['/a']);
    expect(prev.reuse('/c', entry(dg(3), 7))).toBeUndefined();
    expect(keptTarOf(Buffer.from(JSON.stringify(v2)))).toBe(TAR);
    for (const other of [JSON.stringify([['/a', dg(1)]]), 'not a list', '{torn']) {
      const p = new PreviousFiles(Buffer.from(other), '/d', undefined);
      expect(p.reuse('/a', entry(dg(1), 5))).toBeUndefined();
      expect(keptTarOf(Buffer.from(other))).toBeUndefined();
    }
  });

  it('clamps the wanted mtime to SOURCE_DATE_EPOCH when one is given', () => {
    const w = new LayerFilesWriter();
    w.add('/f', dg(1), 1000);
    const prev = new PreviousFiles(Buffer.from(w.serialize(undefined, [])), '/d', 1000);
    expect(prev.reuse('/f', entry(dg(1), 5000))).toBe('/d/f');
    expect(prev.reuse('/f', entry(dg(1), 999))).toBeUndefined();
  });
});
