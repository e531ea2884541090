import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffFiles, explainMiss, type FileEntry, mergeChanges } from '../../../core/cache/explain-miss.js';
import type { CacheRecord, KeyInputs } from '../../../core/cache/records.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as const;

function record(k: KeyInputs, instruction: string): CacheRecord {
  return {
    key: d('f'),
    version: 1,
    createdAt: '2026-01-01T00:00:00Z',
    keyInputs: k,
    result: { created: '1970-01-01T00:00:00Z' },
    options: {
      stepId: 's',
      file: 'Dockerfile',
      stage: 'stage-0',
      position: 1,
      instruction,
      buildId: 'b1',
      base: 'scratch',
    },
  };
}

describe('explainMiss', () => {
  it('says when there is no earlier build', () => {
    expect(explainMiss(undefined, { parent: d('a'), op: {}, inputs: {} }, 'RUN x').cause).toBe('new');
  });
  it('names the instruction change', () => {
    const prev = record(
      { parent: d('a'), op: { kind: 'run', argv: ['sh', '-c', 'a'] }, inputs: {} },
      'RUN a',
    );
    const e = explainMiss(
      prev,
      { parent: d('a'), op: { kind: 'run', argv: ['sh', '-c', 'b'] }, inputs: {} },
      'RUN b',
    );
    expect(e.cause).toBe('instruction');
    expect(e.reason).toContain('"RUN a" -> "RUN b"');
  });
  it('names a changed build arg with old and new values', () => {
    const prev = record({ parent: d('a'), op: { kind: 'run', env: ['V=1', 'P=x'] }, inputs: {} }, 'RUN a');
    const e = explainMiss(
      prev,
      { parent: d('a'), op: { kind: 'run', env: ['V=2', 'P=x'] }, inputs: {} },
      'RUN a',
    );
    expect(e.cause).toBe('args');
    expect(e.details).toEqual(['V changed "1" -> "2"']);
  });
  it('names a build arg given to an ARG step', () => {
    const prev = record(
      { parent: d('a'), op: { kind: 'arg', args: [{ name: 'V', value: '1' }] }, inputs: {} },
      'ARG V=1',
    );
    const e = explainMiss(
      prev,
      { parent: d('a'), op: { kind: 'arg', args: [{ name: 'V', value: '2' }] }, inputs: {} },
      'ARG V=1',
    );
    expect(e.cause).toBe('args');
    expect(e.reason).toBe('a build arg changed: V changed "1" -> "2"');
  });
  it('names the changed files of a COPY with old and new checksums', () => {
    const prev = record({ parent: d('a'), op: { kind: 'copy' }, inputs: { content: d('1') } }, 'COPY . .');
    const e = explainMiss(
      prev,
      { parent: d('a'), op: { kind: 'copy' }, inputs: { content: d('2') } },
      'COPY . .',
      {
        oldFiles: [
          { path: 'index.js', digest: d('3') },
          { path: 'gone.txt', digest: d('5') },
        ],
        newFiles: [
          { path: 'index.js', digest: d('4') },
          { path: 'new.txt', digest: d('6') },
        ],
      },
    );
    expect(e.cause).toBe('sources');
    expect(e.reason).toBe('COPY/ADD sources changed: changed index.js, added new.txt, removed gone.txt');
    expect(e.details[0]).toBe(`changed index.js (${'3'.repeat(12)} -> ${'4'.repeat(12)})`);
  });
  it('diffFiles lists nothing for equal lists', () => {
    expect(diffFiles([{ path: 'a', digest: d('1') }], [{ path: 'a', digest: d('1') }])).toEqual([]);
  });
  it('diffFiles gives the same answer for sorted lists (merged) as for any other (by path map)', () => {
    // The by-path rule, written out: each new path against the last old entry of that path,
    // then the old paths never matched, in old order.
    const byMap = (before: FileEntry[], after: FileEntry[]): string[] => {
      const old = new Map(before.map((x) => [x.path, x]));
      const out: string[] = [];
      for (const x of after) {
        const o = old.get(x.path);
        if (o === undefined) out.push(`added ${x.path}`);
        else {
          old.delete(x.path);
          if (o.digest !== x.digest) out.push(`changed ${x.path}`);
        }
      }
      for (const x of before) if (old.has(x.path)) out.push(`removed ${x.path}`);
      return out;
    };
    const kindAndPath = (line: string) => (/^(\w+) (\S+?)(?::| \()/.exec(line) ?? []).slice(1, 3).join(' ');
    const entry = fc.record({
      path: fc.stringMatching(/^[a-d./-]{1,3}$/),
      digest: fc.constantFrom('1', '2'),
    });
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 12 }),
        fc.array(entry, { maxLength: 12 }),
        fc.boolean(),
        (b, a, sort) => {
          const files = (l: { path: string; digest: string }[]) => {
            const out = l.map((x) => ({ path: x.path, digest: d(x.digest) }));
            if (!sort) return out;
            const seen = new Set<string>();
            return out
              .filter((x) => !seen.has(x.path) && seen.add(x.path))
              .sort((x, y) => (x.path < y.path ? -1 : 1));
          };
          const before = files(b);
          const after = files(a);
          expect(diffFiles(before, after).map(kindAndPath)).toEqual(byMap(before, after));
        },
      ),
      { numRuns: 500 },
    );
  });
});

// A COPY miss names the attribute that changed per file (content, mode, owner, xattr, link
// target), and tells many files changed the same way in mode or owner only as one line.
const f = (path: string, digest: string, a: string, fp = 'c0ffee0000000000.', l?: string): FileEntry => ({
  path,
  digest: d(digest),
  a,
  f: fp ?? 'c0ffee0000000000.',
  ...(l === undefined ? {} : { l }),
});
const copyRecord = record({ parent: d('a'), op: { kind: 'copy' }, inputs: { content: d('1') } }, 'COPY . .');
const reason = (oldFiles: FileEntry[], newFiles: FileEntry[]) =>
  explainMiss(copyRecord, { ...copyRecord.keyInputs, inputs: { content: d('2') } }, 'COPY . .', {
    oldFiles,
    newFiles,
  }).reason;

describe('miss reasons that name the attribute', () => {
  it('says mode, owner, content, xattrs and link target per file', () => {
    // path, digest before/after, attributes before/after, fingerprint before/after, link before/after
    const table: [string, string, string, string, string, string?, string?, string?, string?][] = [
      ['build.sh', '3', '9', 'file 644 0:0 10', 'file 755 0:0 10'],
      ['owned', '4', 'a', 'file 644 0:0 3', 'file 644 1000:1000 3'],
      ['index.js', '5', 'b', 'file 644 0:0 7', 'file 644 0:0 7', 'aaaaaaaaaaaaaaaa.', 'dddddddddddddddd.'],
      [
        'cap',
        '6',
        'c',
        'file 755 0:0 1',
        'file 755 0:0 1',
        'bbbbbbbbbbbbbbbb.',
        'bbbbbbbbbbbbbbbb.0123456789abcdef',
      ],
      ['link', '7', 'e', 'symlink 777 0:0 0', 'symlink 777 0:0 0', '.', '.', 'a', 'b'],
      ['both', '8', '0', 'file 644 0:0 5', 'file 755 0:0 6', 'cccccccccccccccc.', 'eeeeeeeeeeeeeeee.'],
    ];
    const before = table.map(([p, d1, , a1, , f1, , l1]) => f(p, d1, a1, f1, l1));
    const after = table.map(([p, , d2, , a2, , f2, , l2]) => f(p, d2, a2, f2, l2));
    expect(reason(before, after)).toBe(
      'COPY/ADD sources changed: mode 0644 -> 0755 on build.sh, owner 0:0 -> 1000:1000 on owned, changed index.js, ' +
        'xattrs on cap, link target a -> b on link, content (5 -> 6 bytes), mode 0644 -> 0755 on both',
    );
    expect(diffFiles(before, after)).toEqual([
      `changed build.sh: mode 0644 -> 0755 (${'3'.repeat(12)} -> ${'9'.repeat(12)})`,
      `changed owned: owner 0:0 -> 1000:1000 (${'4'.repeat(12)} -> ${'a'.repeat(12)})`,
      `changed index.js (${'5'.repeat(12)} -> ${'b'.repeat(12)})`,
      `changed cap: xattrs (${'6'.repeat(12)} -> ${'c'.repeat(12)})`,
      `changed link: link target a -> b (${'7'.repeat(12)} -> ${'e'.repeat(12)})`,
      `changed both: content (5 -> 6 bytes), mode 0644 -> 0755 (${'8'.repeat(12)} -> ${'0'.repeat(12)})`,
    ]);
  });

  it('tells many files changed only in mode as one line: the umask drift', () => {
    const names = Array.from({ length: 240 }, (_, i) => `src/f${String(i).padStart(3, '0')}.sh`);
    const before = names.map((p) => f(p, '1', 'file 644 0:0 10'));
    const after = names.map((p) => f(p, '2', 'file 755 0:0 10'));
    after.push(f('src/new.sh', '3', 'file 755 0:0 1'));
    expect(reason(before, after)).toBe(
      'COPY/ADD sources changed: mode 0644 -> 0755 on 240 files (src/f000.sh, src/f001.sh, src/f002.sh, ...); content unchanged, added src/new.sh',
    );
  });

  it('a record without attributes (older strata) still reads as before', () => {
    expect(reason([{ path: 'a', digest: d('1') }], [f('a', '2', 'file 755 0:0 1')])).toBe(
      'COPY/ADD sources changed: changed a',
    );
  });
});

// The planner hands over the lists as the JSON a record keeps; they are compared side by
// side without parsing the rows that are equal. The answer must be the objects' answer.
describe('file lists as JSON', () => {
  /** A deterministic generator, so a failure reproduces. */
  function rng(seed: number): () => number {
    let x = seed;
    return () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
  }
  const NAMES = ['a', 'b', 'dir/x', 'dir/y', 'q"uote', 'back\\slash', 'é', 'z-1', 'z/1', 'tab\tname'];

  function randomLists(seed: number): [FileEntry[], FileEntry[]] {
    const r = rng(seed);
    const before: FileEntry[] = [];
    const after: FileEntry[] = [];
    for (const [i, name] of [...NAMES].sort().entries()) {
      const row = f(name, String(i % 10), 'file 644 0:0 3', 'aaaaaaaaaaaaaaaa.');
      const x = r();
      if (x < 0.15)
        after.push(row); // added
      else if (x < 0.3)
        before.push(row); // removed
      else if (x < 0.5) {
        before.push(row);
        after.push(f(name, String((i + 1) % 10), 'file 755 1:1 4', 'bbbbbbbbbbbbbbbb.'));
      } else {
        before.push(row);
        after.push({ ...row });
      }
    }
    return [before, after];
  }

  it('gives the same changes and reason as the objects, sorted or not', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const [before, after] = randomLists(seed);
      // Every fourth case out of path order: the side-by-side merge must not be trusted then.
      if (seed % 4 === 0) after.reverse();
      const [jb, ja] = [JSON.stringify(before), JSON.stringify(after)];
      // In order, the lists are merged side by side; out of order, they are parsed whole
      // (unless the disorder is all in rows both lists share, which need no order).
      const sorted = seed % 4 !== 0 || after.length < 2;
      if (sorted) expect(mergeChanges(jb, ja)).toBeDefined();
      else if (before.length === 0) expect(mergeChanges(jb, ja)).toBeUndefined();
      expect(diffFiles(jb, ja)).toEqual(diffFiles(before, after));
      expect(reason(jb as unknown as FileEntry[], ja as unknown as FileEntry[])).toBe(reason(before, after));
    }
  });

  it('passes over the rows both lists start and end with, and still finds every change', () => {
    const rows = (n: number, tag: (i: number) => string) =>
      Array.from({ length: n }, (_, i) =>
        f(`dir/f${String(i).padStart(5, '0')}`, tag(i), 'file 644 0:0 3', 'aaaaaaaaaaaaaaaa.'),
      );
    const base = rows(5000, (i) => String(i % 10));
    const cases: [string, FileEntry[]][] = [
      ['one in the middle', base.map((r, i) => (i === 2500 ? { ...r, digest: d('c') } : r))],
      ['the first', base.map((r, i) => (i === 0 ? { ...r, digest: d('c') } : r))],
      ['the last', base.map((r, i) => (i === 4999 ? { ...r, digest: d('c') } : r))],
      ['one removed', base.filter((_, i) => i !== 1234)],
      ['one added at the end', [...base, f('zzz', '1', 'file 644 0:0 3', 'aaaaaaaaaaaaaaaa.')]],
      ['one added at the start', [f('a', '1', 'file 644 0:0 3', 'aaaaaaaaaaaaaaaa.'), ...base]],
      [
        'a mode at both ends',
        base.map((r, i) => (i === 0 || i === 4999 ? { ...r, digest: d('e'), a: 'file 755 0:0 3' } : r)),
      ],
      ['nothing', base.map((r) => ({ ...r }))],
      // Same text length, one character apart: a digest that differs only in its last digit.
      [
        'the last digit',
        base.map((r, i) => (i === 10 ? { ...r, digest: `${r.digest.slice(0, -1)}x` as typeof r.digest } : r)),
      ],
    ];
    for (const [what, after] of cases) {
      const [jb, ja] = [JSON.stringify(base), JSON.stringify(after)];
      expect(mergeChanges(jb, ja), what).toBeDefined();
      expect(diffFiles(jb, ja), what).toEqual(diffFiles(base, after));
      expect(diffFiles(ja, jb), what).toEqual(diffFiles(after, base));
    }
  });

  it('finds random edits among many shared rows as the objects do', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const base = Array.from({ length: 300 }, (_, i) =>
        f(`p/${String(i * 2).padStart(4, '0')}`, String(i % 10), 'file 644 0:0 3', 'aaaaaaaaaaaaaaaa.'),
      );
      const after: FileEntry[] = [];
      for (const [i, row] of base.entries()) {
        const x = r();
        if (x < 0.01) continue; // removed
        if (x < 0.02) after.push({ ...row, digest: d('e') });
        else if (x < 0.03) after.push({ ...row, digest: d('e'), a: 'file 600 0:0 3' });
        else after.push(row);
        if (r() < 0.01) after.push(f(`p/${String(i * 2 + 1).padStart(4, '0')}`, '1', 'file 644 0:0 3'));
      }
      const [jb, ja] = [JSON.stringify(base), JSON.stringify(after)];
      expect(mergeChanges(jb, ja)).toBeDefined();
      expect(diffFiles(jb, ja)).toEqual(diffFiles(base, after));
      expect(diffFiles(ja, jb)).toEqual(diffFiles(after, base));
    }
  });

  it('reads a list that is not JSON as empty', () => {
    const list = [f('a', '1', 'file 644 0:0 1')];
    expect(diffFiles('{torn', JSON.stringify(list))).toEqual([`added a (${'1'.repeat(12)})`]);
  });
});
