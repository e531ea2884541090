/**
 * The streaming merge that explains a COPY miss while its list is written out: the bytes it
 * writes are JSON.stringify's, and what it finds is what comparing the two lists as objects
 * finds, for edits anywhere (inside and across 64 KiB pieces), old lists read in chunks of
 * any size (a UTF-8 character split between two), and lists out of order or unreadable,
 * where it gives up (undefined) for the caller to compare them whole.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type FileEntry, fileChanges } from '../../../core/cache/explain-miss.js';
import { ListMerge, listPieces } from '../../../core/cache/list-merge.js';

const d = (c: string) => `sha256:${c.repeat(64).slice(0, 64)}` as FileEntry['digest'];

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

function row(path: string, tag: string, mode = '644'): FileEntry {
  return { path, digest: d(tag), f: `${tag.repeat(16).slice(0, 16)}.`, a: `file ${mode} 0:0 3` };
}

/** The old list as a stream of chunks of random sizes (1..max bytes). */
function chunked(text: string, r: () => number, max: number): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(r() * max);
    parts.push(bytes.subarray(at, at + n));
    at += n;
  }
  return Readable.from(parts, { objectMode: false });
}

async function merged(
  after: FileEntry[],
  old: Readable,
): Promise<{ text: string; changes: ReturnType<typeof fileChanges> | undefined; rows: number }> {
  const merge = new ListMerge(old);
  const written = { rows: 0 };
  const out: Buffer[] = [];
  for await (const piece of listPieces(
    after.map((f) => JSON.stringify(f)),
    merge,
    written,
  ))
    out.push(piece);
  return { text: Buffer.concat(out).toString('utf8'), changes: await merge.result(), rows: written.rows };
}

describe('ListMerge', () => {
  it('writes the list JSON.stringify writes and finds what comparing the objects finds', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = rng(seed);
      const n = seed % 3 === 0 ? 40 : 1500; // one piece, or several of 64 KiB
      const base = Array.from({ length: n }, (_, i) =>
        row(`dir/${i % 7 === 0 ? 'ü' : ''}f${String(i).padStart(5, '0')}`, String(i % 10)),
      ).sort((a, b) => (a.path < b.path ? -1 : 1));
      // Many edits (every piece differs), or a few (most pieces are passed over whole).
      const rate = seed % 2 === 0 ? 1 : 0.02;
      const after = base.flatMap((f, i) => {
        const x = r() / rate;
        if (x < 0.01) return []; // removed
        if (x < 0.02) return [f, row(`${f.path}-new`, 'b')]; // one added after it
        if (x < 0.03) return [{ ...f, digest: d('c') }]; // content
        if (x < 0.035) return [{ ...f, digest: d('e'), a: 'file 755 0:0 3' }]; // mode
        return [i === n - 1 && seed % 5 === 0 ? row('zzz', '1') : f];
      });
      const before = seed % 7 === 0 ? [] : base;
      const got = await merged(after, chunked(JSON.stringify(before), r, 1 + Math.floor(r() * 90_000)));
      expect(got.text, `seed ${seed}`).toBe(JSON.stringify(after));
      expect(got.rows).toBe(after.length);
      expect(got.changes, `seed ${seed}`).toEqual(fileChanges(before, after));
    }
  });

  it('finds nothing between equal lists, and everything against an empty one', async () => {
    const list = Array.from({ length: 2000 }, (_, i) => row(`f${String(i).padStart(5, '0')}`, 'a'));
    const r = rng(7);
    expect((await merged(list, chunked(JSON.stringify(list), r, 5000))).changes).toEqual([]);
    const none = await merged([], chunked('[]', r, 1));
    expect([none.text, none.changes]).toEqual(['[]', []]);
    const gone = await merged([], chunked(JSON.stringify(list), r, 70_000));
    expect(gone.changes?.length).toBe(2000);
    expect(gone.changes?.every((c) => c.kind === 'removed')).toBe(true);
  });

  it('gives up on rows out of order, and on an old list it cannot read to its end', async () => {
    const r = rng(3);
    const sorted = Array.from({ length: 300 }, (_, i) => row(`f${String(i).padStart(4, '0')}`, 'a'));
    // Two sources: the second's rows sort before the first's.
    const twoSources = [...sorted.slice(150), ...sorted.slice(0, 150)];
    const edited = twoSources.map((f, i) => (i === 10 ? row('f9999', 'c') : f));
    expect((await merged(edited, chunked(JSON.stringify(twoSources), r, 999))).changes).toBeUndefined();
    const torn = JSON.stringify(sorted).slice(0, -40);
    const changed = sorted.map((f, i) => (i === 5 ? { ...f, digest: d('c') } : f));
    expect((await merged(changed, chunked(torn, r, 999))).changes).toBeUndefined();
    const failing = new Readable({
      read() {
        this.destroy(new Error('digest mismatch'));
      },
    });
    const got = await merged(changed, failing);
    expect(got.changes).toBeUndefined();
    expect(got.text).toBe(JSON.stringify(changed)); // the list is still written whole
  });
});
