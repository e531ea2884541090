import { chmod, realpath, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FileDigest, openContext } from '../../../core/context/index.js';
import { sha256 } from '../../../core/oci/digest.js';
import { NotFoundError, SecurityError } from '../../../core/oci/errors.js';
import { MemoryMeta, makeTree } from './helpers.js';

const filesOf = async (dir: string, patterns: string[], ignoreText?: string) => {
  const ctx = await openContext(dir, { ignoreText });
  const set = await ctx.resolveSources(patterns);
  return (await set.checksum()).files.map((f) => f.path);
};

describe('resolveSources', () => {
  it('expands wildcards per component with Go filepath.Match semantics', async () => {
    const dir = await makeTree({
      'a.txt': 'a',
      'b.txt': 'b',
      'c.md': 'c',
      'x[1].txt': 'esc',
      'sub/one/x.js': '1',
      'sub/two/x.js': '2',
      'sub/two/y.js': '3',
    });
    expect(await filesOf(dir, ['*.txt'])).toEqual(['a.txt', 'b.txt', 'x[1].txt']);
    expect(await filesOf(dir, ['[ab].txt'])).toEqual(['a.txt', 'b.txt']);
    expect(await filesOf(dir, ['?.md'])).toEqual(['c.md']);
    expect(await filesOf(dir, ['x\\[1\\].txt'])).toEqual(['x[1].txt']);
    const ctx = await openContext(dir);
    const set = await ctx.resolveSources(['sub/*/x.js']);
    expect(set.matches.map((m) => m.path)).toEqual(['sub/one/x.js', 'sub/two/x.js']);
    // A wildcard that matches nothing selects nothing (BuildKit AllowEmptyWildcard).
    expect((await ctx.resolveSources(['*.none'])).matches).toEqual([]);
  });

  it('takes several sources and copies directory contents', async () => {
    const dir = await makeTree({ 'src/a.js': 'a', 'src/lib/b.js': 'b', README: 'r' });
    expect(await filesOf(dir, ['src', 'README'])).toEqual(['.', 'a.js', 'lib', 'lib/b.js', 'README']);
  });

  it('applies .dockerignore, with exceptions, and <Dockerfile>.dockerignore wins', async () => {
    const dir = await makeTree({
      'app.js': 'x',
      'node_modules/m/index.js': 'm',
      'docs/a.md': 'a',
      'docs/keep.md': 'k',
      '.dockerignore': 'node_modules\ndocs\n!docs/keep.md\n',
      'build/Dockerfile': 'FROM scratch',
      'build/Dockerfile.dockerignore': 'app.js\n',
    });
    expect(await filesOf(dir, ['.'], undefined)).toEqual([
      '.',
      '.dockerignore',
      'app.js',
      'build',
      'build/Dockerfile',
      'build/Dockerfile.dockerignore',
      'docs',
      'docs/keep.md',
    ]);
    const ctx = await openContext(dir, { dockerfilePath: path.join(dir, 'build/Dockerfile') });
    expect(ctx.ignorePatterns).toEqual(['app.js']);
    await expect(ctx.resolveSources(['app.js'])).rejects.toThrow(
      /copy: source "app.js" not found in the build context \(excluded by \.dockerignore\)/,
    );
  });

  it('does not change the checksum when an ignored file changes', async () => {
    const dir = await makeTree({ 'app.js': 'x', 'log/debug.log': 'one', '.dockerignore': 'log\n' });
    const sum = async () => (await (await (await openContext(dir)).resolveSources(['.'])).checksum()).digest;
    const before = await sum();
    await writeFile(path.join(dir, 'log/debug.log'), 'two, longer');
    await writeFile(path.join(dir, 'log/new.log'), 'new');
    expect(await sum()).toBe(before);
  });

  it('rejects sources outside the context and outward symlinks named as sources', async () => {
    const dir = await makeTree({
      'a.txt': 'a',
      out: { link: '/etc' },
      up: { link: '../../x' },
      in: { link: 'sub' },
      'sub/f': 'f',
    });
    const ctx = await openContext(dir);
    await expect(ctx.resolveSources(['../x'])).rejects.toBeInstanceOf(SecurityError);
    await expect(ctx.resolveSources(['sub/../../x'])).rejects.toThrow(
      'copy: forbidden path outside the build context: sub/../../x',
    );
    await expect(ctx.resolveSources(['out/passwd'])).rejects.toBeInstanceOf(SecurityError);
    await expect(ctx.resolveSources(['up'])).rejects.toThrow(/symlink that points outside the build context/);
    // An absolute source is context-relative.
    const abs = await ctx.resolveSources(['/a.txt']);
    expect(abs.matches[0].entries[0].abs).toBe(path.join(ctx.root, 'a.txt'));
    // A link that stays inside is followed, and the match keeps the name it was given.
    const inside = await ctx.resolveSources(['in/f']);
    expect(inside.matches[0].entries[0].abs).toBe(path.join(ctx.root, 'sub/f'));
  });

  it('keeps outward symlinks inside a copied directory as symlinks', async () => {
    const dir = await makeTree({ 'd/passwd': { link: '/etc/passwd' }, 'd/ok': 'ok' });
    const set = await (await openContext(dir)).resolveSources(['d']);
    const link = set.matches[0].entries.find((e) => e.rel === 'passwd');
    expect(link).toMatchObject({ type: 'symlink', linkTarget: '/etc/passwd', size: 0 });
  });

  it('names a missing source like BuildKit', async () => {
    const dir = await makeTree({ 'a.txt': 'a' });
    const ctx = await openContext(dir);
    const err = await ctx.resolveSources(['nope.txt']).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('copy: source "nope.txt" not found in the build context');
    await expect(ctx.resolveSources([])).rejects.toThrow('copy: no source files were specified');
  });

  it('reports a file that cannot be read by name', async () => {
    // We run as root, so permissions cannot make a file unreadable; a file that vanishes
    // between selection and hashing fails the same read path.
    const dir = await makeTree({ 'd/gone.txt': 'x', 'd/ok.txt': 'y' });
    const set = await (await openContext(dir)).resolveSources(['d']);
    await rm(path.join(dir, 'd/gone.txt'));
    const gone = path.join(await realpath(dir), 'd/gone.txt');
    await expect(set.checksum()).rejects.toThrow(`read source file: ${gone}: ENOENT`);
    // A path through a file is simply not found.
    await expect((await openContext(dir)).resolveSources(['d/ok.txt/x'])).rejects.toThrow(
      'copy: source "d/ok.txt/x" not found in the build context',
    );
  });

  it('names a dangling symlink a source or a wildcard reaches', async () => {
    const dir = await makeTree({
      'src/a.js': 'a',
      'src/l': { link: '../elsewhere/x' },
      top: { link: 'gone' },
    });
    const ctx = await openContext(dir);
    await expect(ctx.resolveSources(['src/*'])).rejects.toThrow(
      'copy: source "src/*" not found in the build context (src/l is a symlink to /elsewhere/x, which does not exist)',
    );
    await expect(ctx.resolveSources(['top'])).rejects.toThrow(
      'copy: source "top" not found in the build context (top is a symlink to /gone, which does not exist)',
    );
    await expect(ctx.resolveSources(['missing'])).rejects.toThrow(
      /^copy: source "missing" not found in the build context$/,
    );
  });

  it('applies --exclude relative to the source and keeps --parents paths', async () => {
    const dir = await makeTree({
      'src/a.js': 'a',
      'src/a.test.js': 't',
      'src/x/b.js': 'b',
      'pkgs/p1/package.json': '1',
      'pkgs/p2/package.json': '2',
    });
    const ctx = await openContext(dir);
    const ex = await ctx.resolveSources(['src'], { exclude: ['**/*.test.js'] });
    expect((await ex.checksum()).files.map((f) => f.path)).toEqual(['.', 'a.js', 'x', 'x/b.js']);
    const par = await ctx.resolveSources(['pkgs/*/package.json'], { parents: true });
    expect(par.matches.map((m) => m.parentsPath)).toEqual(['pkgs/p1/package.json', 'pkgs/p2/package.json']);
    const piv = await ctx.resolveSources(['./pkgs/./p1/package.json'], { parents: true });
    expect(piv.matches[0].parentsPath).toBe('p1/package.json');
  });
});

describe('checksum', () => {
  const digestOf = async (dir: string, patterns: string[], meta?: MemoryMeta, reads?: string[]) => {
    const ctx = await openContext(dir, { metaStore: meta, onContentRead: (p) => reads?.push(p) });
    return (await ctx.resolveSources(patterns)).checksum();
  };

  it('re-reads nothing on an unchanged rebuild and does not rewrite the stat cache', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 50; i++) tree[`d/f${i}.txt`] = `content ${i}`;
    const dir = await makeTree(tree);
    const meta = new MemoryMeta();
    const first: string[] = [];
    const a = await digestOf(dir, ['.'], meta, first);
    expect(first).toHaveLength(50);
    expect(meta.writes).toBe(1);
    const second: string[] = [];
    const b = await digestOf(dir, ['.'], meta, second);
    expect(second).toEqual([]);
    expect(b.digest).toBe(a.digest);
    expect(meta.writes).toBe(1);
  });

  it('forgets deleted files: the stat cache does not grow with churn', async () => {
    const dir = await makeTree({ 'keep.txt': 'k', 'gen/a.js': 'a', 'gen/b.js': 'b', 'other/x': 'x' });
    const meta = new MemoryMeta();
    await digestOf(dir, ['.'], meta);
    const rows = () =>
      (meta.data.values().next().value ?? '')
        .split('\n')
        .slice(1)
        .map((l) => l.split('\t')[0]);
    expect(rows().sort()).toEqual(
      ['.', 'gen', 'gen/a.js', 'gen/b.js', 'keep.txt', 'other', 'other/x']
        .map((r) => (r === '.' ? dir : path.join(dir, r)))
        .sort(),
    );
    await rm(path.join(dir, 'gen/b.js'));
    await writeFile(path.join(dir, 'gen/c.js'), 'c');
    // Only gen/ is listed by this build: other/ is not looked at, and its row stays.
    await digestOf(dir, ['gen'], meta);
    expect(rows()).toContain(path.join(dir, 'gen/c.js'));
    expect(rows()).not.toContain(path.join(dir, 'gen/b.js'));
    expect(rows()).toContain(path.join(dir, 'other/x'));
    expect(rows()).toContain(path.join(dir, 'gen/a.js'));
  });

  it("writes the file list's JSON as JSON.stringify of the list, byte for byte", async () => {
    const dir = await makeTree({
      'src/a.js': 'a',
      'src/q"uote\\x': 'q',
      'src/é': 'e',
      'src/ctl\u0001\ttab': 'c',
      'src/😀': 'emoji',
      'src/l': { link: 'a.js' },
      'one.txt': 'one',
    });
    const ctx = await openContext(dir);
    for (const patterns of [['.'], ['src'], ['one.txt'], ['src/*', 'one.txt']]) {
      const sum = await (await ctx.resolveSources(patterns)).checksum();
      expect(sum.json()).toBe(JSON.stringify(sum.files));
    }
    const par = await (await ctx.resolveSources(['src/a.js'], { parents: true })).checksum();
    expect(par.json()).toBe(JSON.stringify(par.files));
  });

  it('writes a list of more than one 1,024-row chunk as JSON.stringify does', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 2100; i++) files[`d${i % 3}/f${i}`] = String(i % 7);
    const ctx = await openContext(await makeTree(files));
    const sum = await (await ctx.resolveSources(['.'])).checksum();
    // The root, three directories and every file: past two chunk boundaries.
    expect(sum.files).toHaveLength(2104);
    expect(sum.json()).toBe(JSON.stringify(sum.files));
  });

  it('folds directory digests as the plain definition does, whatever sits between siblings', async () => {
    // The definition: a directory's digest is sha256 of ".\0<own>\n" and "<name>\0<digest>\n"
    // of each child, sorted by name; children fold first.
    const reference = (entries: { rel: string; type: string; implied?: boolean; digest?: string }[]) => {
      const fold = (i: number): string => {
        const e = entries[i];
        if (e.type !== 'dir') return e.digest as string;
        const prefix = e.rel === '' ? '' : `${e.rel}/`;
        const kids = entries
          .map((c, k) => [c, k] as const)
          .filter(
            ([c]) => c.rel !== e.rel && c.rel.startsWith(prefix) && !c.rel.slice(prefix.length).includes('/'),
          )
          .map(([c, k]) => `${c.rel.slice(prefix.length)}\0${fold(k)}\n`)
          .sort();
        return sha256(`.\0${e.implied ? 'implied' : e.digest}\n${kids.join('')}`);
      };
      return fold(0);
    };
    // Names that sort between a directory and its children ('-', '.', ' ' are below '/').
    const tree: Record<string, string | null> = {};
    for (const top of ['a', 'a-b', 'a.c', 'a b', 'ab', 'z']) {
      tree[`${top}/f`] = top;
      tree[`${top}/g-h/x`] = 'x';
      tree[`${top}/g/y`] = 'y';
      tree[`${top}/g.txt`] = 'g';
      tree[`${top}/empty`] = null;
      tree[`${top}.txt`] = top;
    }
    const dir = await makeTree(tree);
    const ctx = await openContext(dir, { ignoreText: 'a-b/g\n!a-b/g/y\n' });
    for (const patterns of [['.'], ['a'], ['a-b']]) {
      const set = await ctx.resolveSources(patterns);
      const sum = await set.checksum();
      const m = set.matches[0];
      expect(m.entries.length).toBeGreaterThan(5);
      expect(sum.digest).toBe(sha256(reference(m.entries)));
    }
    // An implied directory (excluded, entered for an exception) folds as "implied".
    const all = (await ctx.resolveSources(['.'])).matches[0].entries;
    expect(all.find((e) => e.rel === 'a-b/g')?.implied).toBe(true);
  });

  it('a second save in one build does not bring back a row the first one dropped', async () => {
    const dir = await makeTree({ 'gen/a.js': 'a', 'gen/b.js': 'b', 'other/x': 'x' });
    const meta = new MemoryMeta();
    await digestOf(dir, ['.'], meta);
    await rm(path.join(dir, 'gen/b.js'));
    await writeFile(path.join(dir, 'gen/c.js'), 'c');
    // One build, two COPY sources: gen/ first (its save drops gen/b.js), then other/ changed.
    const ctx = await openContext(dir, { metaStore: meta });
    await (await ctx.resolveSources(['gen'])).checksum();
    await writeFile(path.join(dir, 'other/x'), 'x2');
    await (await ctx.resolveSources(['other'])).checksum();
    const rows = (meta.data.values().next().value ?? '').split('\n').map((l) => l.split('\t')[0]);
    expect(rows).toContain(path.join(dir, 'gen/c.js'));
    expect(rows).not.toContain(path.join(dir, 'gen/b.js'));
  });

  it('keeps the checksum after an mtime-only touch (only that file is re-read)', async () => {
    const dir = await makeTree({ 'a.txt': 'aaa', 'b.txt': 'bbb' });
    const meta = new MemoryMeta();
    const before = await digestOf(dir, ['.'], meta);
    await utimes(path.join(dir, 'a.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const reads: string[] = [];
    const after = await digestOf(dir, ['.'], meta, reads);
    expect(after.digest).toBe(before.digest);
    // The stat key includes mtime and ctime, so the touched file must be hashed again to
    // learn that its bytes are the same; nothing else is read.
    expect(reads).toEqual([path.join(dir, 'a.txt')]);
  });

  it('changes when a mode changes', async () => {
    const dir = await makeTree({ 'run.sh': 'echo' });
    const before = await digestOf(dir, ['run.sh']);
    await chmod(path.join(dir, 'run.sh'), 0o755);
    expect((await digestOf(dir, ['run.sh'])).digest).not.toBe(before.digest);
  });

  it('changes with content and the per-file list names the changed file', async () => {
    const dir = await makeTree({ 'src/a.js': 'a', 'src/b.js': 'b' });
    const before = await digestOf(dir, ['src']);
    await writeFile(path.join(dir, 'src/b.js'), 'B2');
    const after = await digestOf(dir, ['src']);
    expect(after.digest).not.toBe(before.digest);
    const changed = after.files
      .filter((f) => before.files.find((g) => g.path === f.path)?.digest !== f.digest)
      .map((f) => f.path);
    // A directory's own entry hashes its header only, so just the edited file shows up.
    expect(changed).toEqual(['b.js']);
  });

  it('sees a same-size edit that kept the mtime (ctime is in the stat key)', async () => {
    const dir = await makeTree({ conf: 'value=1' });
    const file = path.join(dir, 'conf');
    const meta = new MemoryMeta();
    await utimes(file, 1_000_000, 1_000_000);
    const before = await digestOf(dir, ['conf'], meta);
    await writeFile(file, 'value=2');
    await utimes(file, 1_000_000, 1_000_000);
    expect((await stat(file, { bigint: true })).mtimeNs).toBe(1_000_000_000_000_000n);
    expect((await digestOf(dir, ['conf'], meta)).digest).not.toBe(before.digest);
  });

  it('folds names in at directory level: renames inside a source change it, a lone file name does not', async () => {
    const dir = await makeTree({ 'src/a.js': 'x', 'one.txt': 'same', 'two.txt': 'same' });
    const before = await digestOf(dir, ['src']);
    await rename(path.join(dir, 'src/a.js'), path.join(dir, 'src/b.js'));
    expect((await digestOf(dir, ['src'])).digest).not.toBe(before.digest);
    expect((await digestOf(dir, ['one.txt'])).digest).toBe((await digestOf(dir, ['two.txt'])).digest);
    // Through a wildcard the matched names count.
    expect((await digestOf(dir, ['one*'])).digest).not.toBe((await digestOf(dir, ['two*'])).digest);
  });

  it('folds each directory as its own digest, then (name, digest) of every child in name order', async () => {
    // Sorted by path, `a-b` and `a.b` fall between `a` and `a/x`: the fold must still give
    // each directory exactly its own children, however they interleave.
    const dir = await makeTree({
      'a/x': '1',
      'a/y/z': '2',
      'a/y/z-1': '3',
      'a-b': '4',
      'a.b/q': '5',
      'a b/r': '6',
      b: '7',
      'c/d/e/f': '8',
      'c/d-e': '9',
    });
    const sum = await digestOf(dir, ['.']);
    const own = new Map(sum.files.map((f) => [f.path, f]));
    const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.');
    const fold = (p: string): string => {
      const f = own.get(p) as FileDigest;
      if (!f.a?.startsWith('dir')) return f.digest;
      const kids = [...own.keys()]
        .filter((k) => k !== '.' && parentOf(k) === p)
        .map((k) => `${k.slice(k.lastIndexOf('/') + 1)}\0${fold(k)}\n`)
        .sort();
      return sha256(`.\0${f.digest}\n${kids.join('')}`);
    };
    // One plain source: the set's digest is the hash of its one match's digest.
    expect(sum.digest).toBe(sha256(fold('.')));
  });

  it('includes symlink targets and removals', async () => {
    const dir = await makeTree({ 'd/l': { link: 'a' }, 'd/x': 'x' });
    const a = await digestOf(dir, ['d']);
    await rm(path.join(dir, 'd/l'));
    await makeTree({ 'd/l': { link: 'b' } }, dir);
    const b = await digestOf(dir, ['d']);
    expect(b.digest).not.toBe(a.digest);
    await rm(path.join(dir, 'd/x'));
    expect((await digestOf(dir, ['d'])).digest).not.toBe(b.digest);
  });
});
