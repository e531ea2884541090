/**
 * MissList against a real store: a list streamed as rows and the same list as text stage
 * the same blob (JSON.stringify's bytes) and find the same changes against the previous
 * list; an empty list stages nothing, and a discarded one leaves nothing in ingest/.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FileEntry, fileChanges } from '../../../core/cache/explain-miss.js';
import { sha256 } from '../../../core/oci/digest.js';
import { type FileRows, MissList } from '../../../core/plan/miss-list.js';
import { Store } from '../../../store/store.js';

const row = (path: string, tag: string): FileEntry => ({
  path,
  digest: sha256(tag),
  f: `${sha256(tag).slice(7, 23)}.`,
  a: 'file 644 0:0 1',
});

function asRows(list: FileEntry[]): FileRows {
  return {
    json: () => JSON.stringify(list),
    rows: () => list.map((f) => JSON.stringify(f)),
    count: list.length,
  };
}

describe('MissList', () => {
  it('stages the same blob and finds the same changes streamed as rows or as text', async () => {
    const store = await Store.open(await mkdtemp(join(tmpdir(), 'strata-miss-list-')));
    const before = Array.from({ length: 3000 }, (_, i) => row(`d/f${String(i).padStart(5, '0')}`, `${i}`));
    const old = (await store.putBlob(JSON.stringify(before))).digest;
    const after = before
      .filter((_, i) => i !== 17)
      .map((f, i) => (i === 2000 ? row(f.path, 'changed') : f))
      .concat([row('e/new', 'new')]);
    const want = fileChanges(before, after);
    expect(want.map((c) => c.kind).sort()).toEqual(['added', 'changed', 'removed']);
    for (const streamFrom of [1, Number.POSITIVE_INFINITY]) {
      const list = new MissList(store, asRows(after), streamFrom);
      expect(await list.compareWith(old)).toEqual(want);
      const staged = await list.staged();
      expect(staged?.digest).toBe(sha256(JSON.stringify(after)));
      expect(await staged?.publish()).toBe(sha256(JSON.stringify(after)));
      expect((await store.readBlob(sha256(JSON.stringify(after)))).toString()).toBe(JSON.stringify(after));
    }
    // Without a comparison (the step cascaded), and empty: nothing is stored.
    for (const streamFrom of [1, Number.POSITIVE_INFINITY]) {
      expect(await new MissList(store, asRows([]), streamFrom).staged()).toBeUndefined();
      const dropped = new MissList(store, asRows(after.slice(0, 10)), streamFrom);
      expect(await dropped.staged()).toBeDefined();
      await dropped.discard();
    }
    expect(await readdir(join(store.root, 'ingest'))).toEqual([]);
  });
});
