/**
 * The one tree walker (core/fs/walk-dir.ts) on real trees: symlinks to directories outside
 * the tree are reported, never entered; a directory swapped for a symlink after the walk saw
 * it is not entered either (the open is no-follow and checked against the lstat); a parent
 * swapped while its children are visited does not move where names are looked up.
 */
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sortBytes, type WalkVisit, walkDir, walkDirSteps, walkDirSync } from '../../../core/fs/walk-dir.js';
import { InvalidInputError } from '../../../core/oci/errors.js';

let tmp: string;
let root: string;
let outside: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-walk-dir-'));
  root = path.join(tmp, 'root');
  outside = path.join(tmp, 'outside');
  mkdirSync(path.join(outside, 'deep'), { recursive: true });
  writeFileSync(path.join(outside, 'secret'), 'host');
  writeFileSync(path.join(outside, 'deep', 'more'), 'host');
  mkdirSync(path.join(root, 'a', 'b', 'c'), { recursive: true });
  writeFileSync(path.join(root, 'a', 'b', 'c', 'f'), 'f');
  writeFileSync(path.join(root, 'a', 'g'), 'gg');
  writeFileSync(path.join(root, 'top'), 't');
  symlinkSync(outside, path.join(root, 'abs-link'));
  symlinkSync('../outside', path.join(root, 'rel-link'));
  symlinkSync('../../outside/deep', path.join(root, 'a', 'up-link'));
  symlinkSync('nowhere', path.join(root, 'dangling'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** Every visit as `rel kind type-by-lstat`, entering whatever lstat calls a directory. */
function everything(dir: string): string[] {
  const out: string[] = [];
  walkDirSync(dir, {
    visit(v) {
      out.push(`${v.rel} ${v.kind} ${typeOf(lstatSync(v.path))}`);
      expect(typeOf(v.st)).toBe(typeOf(lstatSync(v.path)));
      expect(v.st.ino).toBe(lstatSync(v.path).ino);
      return v.st.isDirectory();
    },
  });
  return out;
}

function typeOf(st: { isDirectory(): boolean; isSymbolicLink(): boolean; isFile(): boolean }): string {
  return st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
}

describe('walkDirSync', () => {
  it('visits every entry once, in byte order, parents first, and reports links as lstat does', () => {
    expect(everything(root)).toEqual([
      'a dir dir',
      'a/b dir dir',
      'a/b/c dir dir',
      'a/b/c/f file file',
      'a/g file file',
      'a/up-link symlink symlink',
      'abs-link symlink symlink',
      'dangling symlink symlink',
      'rel-link symlink symlink',
      'top file file',
    ]);
  });

  it('never enters a symlink, even when the visitor asks to', () => {
    const asked: string[] = [];
    expect(() =>
      walkDirSync(root, {
        visit(v) {
          asked.push(v.rel);
          return v.name === 'abs-link'; // a symlink to a directory: refused, not followed
        },
      }),
    ).toThrow(InvalidInputError);
    expect(asked).toEqual(['a', 'abs-link']);
  });

  it('gives enter (with the listing) and leave around each entered directory', () => {
    const events: string[] = [];
    walkDirSync(root, {
      enter: (rel, keys) => events.push(`enter ${rel || '.'} [${keys.join(',')}]`),
      visit: (v) => v.rel === 'a' || v.rel === 'a/b',
      leave: (v) => events.push(`leave ${v.rel}`),
    });
    expect(events).toEqual([
      'enter . [a,abs-link,dangling,rel-link,top]',
      'enter a [b,g,up-link]',
      'enter a/b [c]',
      'leave a/b',
      'leave a',
    ]);
  });

  it('does not enter a directory swapped for a symlink after its lstat', () => {
    const seen: string[] = [];
    expect(() =>
      walkDirSync(root, {
        visit(v) {
          seen.push(v.rel);
          if (v.rel !== 'a') return false;
          const st = v.st; // the walk's lstat: a directory
          renameSync(path.join(root, 'a'), path.join(tmp, 'a-moved'));
          symlinkSync(outside, path.join(root, 'a'));
          return st.isDirectory();
        },
      }),
    ).toThrow(/changed while being walked \(it is no longer a directory\)/);
    expect(seen).toEqual(['a']); // nothing of `outside` was listed
  });

  it('does not enter another directory moved into the place of the one it saw', () => {
    expect(() =>
      walkDirSync(root, {
        visit(v) {
          if (v.rel !== 'a') return false;
          const st = v.st;
          renameSync(path.join(root, 'a'), path.join(tmp, 'a-moved'));
          renameSync(outside, path.join(root, 'a'));
          return st.isDirectory();
        },
      }),
    ).toThrow(/changed while being walked \(it was replaced\)/);
  });

  it('keeps looking names up in the directory it holds when a parent is swapped for a link', () => {
    // `a/b` is being walked when `a` becomes a symlink to `outside` (which has `deep/more`);
    // `at` paths still name the real `a/b/c`, and nothing below `outside` is visited.
    mkdirSync(path.join(outside, 'b', 'c'), { recursive: true });
    writeFileSync(path.join(outside, 'b', 'c', 'f'), 'host');
    const visited: string[] = [];
    walkDirSync(root, {
      visit(v) {
        visited.push(`${v.rel} ${v.st.ino}`);
        if (v.rel === 'a/b') {
          renameSync(path.join(root, 'a'), path.join(tmp, 'a-moved'));
          symlinkSync(outside, path.join(root, 'a'));
        }
        return v.st.isDirectory();
      },
    });
    const real = (rel: string) => lstatSync(path.join(tmp, 'a-moved', rel)).ino;
    expect(visited).toContain(`a/b/c ${real('b/c')}`);
    expect(visited).toContain(`a/b/c/f ${real('b/c/f')}`);
    expect(visited).not.toContain(`a/b/c/f ${lstatSync(path.join(outside, 'b', 'c', 'f')).ino}`);
  });

  it('unlinks and removes through `at` without following a swapped parent', () => {
    // A cleaner (normalize-upper-dir) removing `a/g` after `a` became a link to `outside`
    // removes the tree's file, never a host file of the same name.
    writeFileSync(path.join(outside, 'g'), 'host g');
    walkDirSync(root, {
      visit(v) {
        if (v.rel === 'a') {
          const st = v.st;
          return st.isDirectory();
        }
        if (v.rel === 'a/b') {
          renameSync(path.join(root, 'a'), path.join(tmp, 'a-moved'));
          symlinkSync(outside, path.join(root, 'a'));
          return false;
        }
        if (v.rel === 'a/g') unlinkSync(v.at);
        return false;
      },
    });
    expect(lstatSync(path.join(outside, 'g')).isFile()).toBe(true);
    expect(readdirSync(path.join(tmp, 'a-moved')).sort()).toEqual(['b', 'up-link']);
  });

  it('stats each child at most once, and only when asked', () => {
    const stats: WalkVisit[] = [];
    walkDirSync(root, {
      visit(v) {
        if (v.kind === 'file') return false; // never stat'ed
        stats.push(v);
        const a = v.st;
        expect(v.st).toBe(a); // the same object: one lstat
        return a.isDirectory();
      },
    });
    expect(stats.map((v) => v.rel)).toEqual([
      'a',
      'a/b',
      'a/b/c',
      'a/up-link',
      'abs-link',
      'dangling',
      'rel-link',
    ]);
  });

  it('sorts by a key from the listing, and can leave children out', () => {
    const got: string[] = [];
    walkDirSync(
      root,
      {
        visit(v) {
          got.push(`${v.key}=${v.name}`);
          return false;
        },
      },
      {
        sortKey: (name, kind, lstat) =>
          kind === 'symlink' ? (lstat().isSymbolicLink() ? `~${name}` : null) : name === 'top' ? null : name,
      },
    );
    expect(got).toEqual(['a=a', '~abs-link=abs-link', '~dangling=dangling', '~rel-link=rel-link']);
  });

  it('refuses two children under one key, and closes the directory when listing fails', () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const visit = () => false;
    expect(() => walkDirSync(root, { visit }, { sortKey: (name) => (name === 'top' ? 'a' : name) })).toThrow(
      /two entries sort as "a"/,
    );
    expect(() =>
      walkDirSync(
        root,
        { visit: (v) => v.st.isDirectory() },
        {
          sortKey: (name, _kind, _lstat, parent) => {
            if (parent === 'a/b') throw new Error(`refused ${name}`);
            return name;
          },
        },
      ),
    ).toThrow('refused c');
    expect(fds()).toBe(before);
  });

  it('keeps the listing order when asked', () => {
    const got: string[] = [];
    walkDirSync(root, { visit: (v) => void got.push(v.name) }, { order: 'listing' });
    expect(got).toEqual(readdirSync(root));
  });

  it("with vanished: 'empty', walks a directory deleted before it is opened (and a missing root) as empty", () => {
    const events: string[] = [];
    walkDirSync(
      root,
      {
        enter: (rel, keys) => events.push(`enter ${rel || '.'} ${keys.length}`),
        visit(v) {
          if (v.rel !== 'a') return false;
          const st = v.st;
          rmSync(path.join(root, 'a'), { recursive: true });
          return st.isDirectory();
        },
        leave: (v) => events.push(`leave ${v.rel}`),
      },
      { vanished: 'empty' },
    );
    expect(events).toEqual(['enter . 5', 'enter a 0', 'leave a']);
    const missing: string[] = [];
    walkDirSync(
      path.join(tmp, 'missing'),
      { enter: (rel) => missing.push(`enter ${rel || '.'}`), visit: () => false },
      { vanished: 'empty' },
    );
    expect(missing).toEqual(['enter .']);
    expect(() => walkDirSync(path.join(tmp, 'missing'), { visit: () => false })).toThrow(/ENOENT/);
  });

  it('closes its descriptors when the visitor throws', () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    expect(() =>
      walkDirSync(root, {
        visit(v) {
          if (v.rel === 'a/b/c/f') throw new Error('stop');
          return v.st.isDirectory();
        },
      }),
    ).toThrow('stop');
    expect(fds()).toBe(before);
  });
});

describe('walkDir (async visitors) and walkDirSteps', () => {
  it('walks as walkDirSync does, awaiting each visit', async () => {
    const out: string[] = [];
    await walkDir(root, {
      async visit(v) {
        await new Promise((r) => setImmediate(r));
        out.push(`${v.rel} ${v.kind} ${typeOf(lstatSync(v.path))}`);
        return v.st.isDirectory();
      },
    });
    expect(out).toEqual(everything(root));
  });

  it('as a generator: answer true to enter; return() closes it', () => {
    const rels: string[] = [];
    const steps = walkDirSteps(root);
    let r = steps.next();
    while (!r.done) {
      const s = r.value;
      if (s.type === 'visit') rels.push(s.visit.rel);
      r = steps.next(s.type === 'visit' && s.visit.rel === 'a');
    }
    expect(rels).toEqual(['a', 'a/b', 'a/g', 'a/up-link', 'abs-link', 'dangling', 'rel-link', 'top']);
  });
});

describe('sortBytes', () => {
  it('orders by UTF-8 bytes, also where UTF-16 order differs', () => {
    // U+FF5E (3 bytes, ef bd 9e) sorts before U+1F600 (4 bytes, f0 ...) in bytes, after it in UTF-16.
    expect(sortBytes(['\u{1f600}', '\uff5e', 'z', 'a'])).toEqual(['a', 'z', '\uff5e', '\u{1f600}']);
  });
});
