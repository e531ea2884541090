import { chmod, chown, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openContext } from '../../../core/context/index.js';
import { copyInto } from '../../../core/copy/copy-into.js';
import { planDestination } from '../../../core/copy/dest-rules.js';
import { InvalidInputError } from '../../../core/oci/errors.js';
import { listTree, makeTree, tempDir } from './helpers.js';

const CONTEXT = { 'a.txt': 'A', 'b.txt': 'B', 'dir/x': 'X', 'dir/sub/y': 'Y' };

async function copy(
  sources: string[],
  dest: string,
  opts: Partial<Parameters<typeof copyInto>[3]> = {},
  tree = CONTEXT,
) {
  const ctx = await openContext(await makeTree(tree));
  const set = await ctx.resolveSources(sources, { parents: opts.parents });
  const staging = await tempDir();
  const res = await copyInto(staging, set, dest, { workdir: '/', ...opts });
  return { staging, res, tree: listTree(staging) };
}

describe('destination rules', () => {
  const cases: [string[], string, string, Record<string, string>][] = [
    [['a.txt'], '/dst', '/', { dst: 'file 0644 0:0 A' }],
    [['a.txt'], '/dst/', '/', { dst: 'dir 0755 0:0', 'dst/a.txt': 'file 0644 0:0 A' }],
    [
      ['a.txt', 'b.txt'],
      '/d/',
      '/',
      { d: 'dir 0755 0:0', 'd/a.txt': 'file 0644 0:0 A', 'd/b.txt': 'file 0644 0:0 B' },
    ],
    [['*.txt'], '/d', '/', { d: 'dir 0755 0:0', 'd/a.txt': 'file 0644 0:0 A', 'd/b.txt': 'file 0644 0:0 B' }],
    [
      ['dir'],
      '/app',
      '/',
      {
        app: 'dir 0755 0:0',
        'app/sub': 'dir 0755 0:0',
        'app/sub/y': 'file 0644 0:0 Y',
        'app/x': 'file 0644 0:0 X',
      },
    ],
    [['a.txt'], 'rel', '/work', { work: 'dir 0755 0:0', 'work/rel': 'file 0644 0:0 A' }],
    [['a.txt'], '.', '/work', { work: 'dir 0755 0:0', 'work/a.txt': 'file 0644 0:0 A' }],
    [
      ['dir/sub/y'],
      '/deep/er/',
      '/',
      { deep: 'dir 0755 0:0', 'deep/er': 'dir 0755 0:0', 'deep/er/y': 'file 0644 0:0 Y' },
    ],
  ];
  for (const [sources, dest, workdir, want] of cases) {
    it(`COPY ${sources.join(' ')} ${dest} (WORKDIR ${workdir})`, async () => {
      const { tree } = await copy(sources, dest, { workdir });
      expect(tree).toEqual(want);
    });
  }

  it('needs a directory destination for several sources', async () => {
    const err = await copy(['a.txt', 'b.txt'], '/d').catch((e) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toMatch(/destination must be a directory and end with a \//);
  });

  it('treats an existing directory in the image as a directory', () => {
    const plan = planDestination({
      dest: 'opt',
      workdir: '/',
      sourceArgs: 1,
      matches: 1,
      existsAsDir: (p) => p === '/opt',
    });
    expect(plan).toEqual({ path: '/opt', isDir: true });
  });

  it('keeps the metadata of parents that exist in the image below', async () => {
    const lower = await makeTree({ 'srv/old': 'o' });
    await chmod(path.join(lower, 'srv'), 0o700);
    await chown(path.join(lower, 'srv'), 33, 33);
    const { tree } = await copy(['a.txt'], '/srv', { lowerDirs: [lower] });
    expect(tree).toEqual({ srv: 'dir 0700 33:33', 'srv/a.txt': 'file 0644 0:0 A' });
  });

  it('keeps --parents paths', async () => {
    const { tree } = await copy(['dir/*/y'], '/p/', { parents: true });
    expect(tree['p/dir/sub/y']).toBe('file 0644 0:0 Y');
  });
});

describe('ownership, modes and times', () => {
  it('resets context ownership to 0:0 and keeps mode, setuid and mtime', async () => {
    const dir = await makeTree({ tool: 'bin' });
    await chown(path.join(dir, 'tool'), 1234, 1234);
    await chmod(path.join(dir, 'tool'), 0o4755);
    await utimes(path.join(dir, 'tool'), 1_500_000_000, 1_500_000_000);
    const set = await (await openContext(dir)).resolveSources(['tool']);
    const staging = await tempDir();
    const res = await copyInto(staging, set, '/usr/bin/', { workdir: '/' });
    expect(res).toEqual({ files: 1, bytes: 3, linked: [] });
    expect(listTree(staging)['usr/bin/tool']).toBe('file 4755 0:0 bin');
    expect((await stat(path.join(staging, 'usr/bin/tool'))).mtimeMs).toBe(1_500_000_000_000);
  });

  it('applies --chown to files, copied dirs and created parents', async () => {
    const { tree } = await copy(['dir'], '/home/app/', { chown: { uid: 1000, gid: 1001 } });
    expect(tree).toEqual({
      home: 'dir 0755 1000:1001',
      'home/app': 'dir 0755 1000:1001',
      'home/app/sub': 'dir 0755 1000:1001',
      'home/app/sub/y': 'file 0644 1000:1001 Y',
      'home/app/x': 'file 0644 1000:1001 X',
    });
  });

  it('applies --chmod octal and symbolic', async () => {
    expect((await copy(['dir'], '/o/', { chmod: '0700' })).tree).toMatchObject({
      'o/x': 'file 0700 0:0 X',
      'o/sub': 'dir 0700 0:0',
    });
    const sym = await copy(['dir'], '/s/', { chmod: 'u=rwX,go=rX' });
    expect(sym.tree).toMatchObject({
      's/x': 'file 0644 0:0 X',
      's/sub': 'dir 0755 0:0',
      's/sub/y': 'file 0644 0:0 Y',
    });
    expect((await copy(['a.txt'], '/x', { chmod: '+x' })).tree.x).toBe('file 0755 0:0 A');
    expect((await copy(['a.txt'], '/x', { chmod: 'g=u,o-r' })).tree.x).toBe('file 0660 0:0 A');
    await expect(copy(['a.txt'], '/x', { chmod: 'q+z' })).rejects.toThrow(/parse chmod: invalid mode/);
  });

  it('clamps mtimes to SOURCE_DATE_EPOCH', async () => {
    const { staging } = await copy(['a.txt'], '/t/', { sourceDateEpoch: 1_000_000 });
    expect((await stat(path.join(staging, 't/a.txt'))).mtimeMs).toBe(1_000_000_000);
    expect((await stat(path.join(staging, 't'))).mtimeMs).toBe(1_000_000_000);
  });

  it('copies symlinks as symlinks', async () => {
    const { tree } = await copy(['d'], '/l/', {}, { 'd/p': { link: '/etc/passwd' } } as never);
    expect(tree['l/p']).toBe('link 0:0 ->/etc/passwd');
  });

  it('copies 2,000 small files', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) many[`m/${i % 20}/f${i}`] = `n${i}`;
    const { res, tree } = await copy(['m'], '/many/', {}, many as never);
    expect(res.files).toBe(2000);
    expect(tree['many/7/f1207']).toBe('file 0644 0:0 n1207');
  });
});

describe('reuse from an earlier layer', () => {
  it('hard-links what reuse names, lists it in `linked`, and copies when the link fails', async () => {
    const earlier = await makeTree({ 'r/a.txt': 'A' });
    const { staging, res, tree } = await copy(['a.txt', 'b.txt'], '/r/', {
      // b.txt points at a path that is gone: copied as usual instead.
      reuse: (target) => path.join(earlier, target === '/r/a.txt' ? 'r/a.txt' : 'r/missing'),
    });
    expect(res.linked).toEqual(['/r/a.txt']);
    expect(tree).toEqual({ r: 'dir 0755 0:0', 'r/a.txt': 'file 0644 0:0 A', 'r/b.txt': 'file 0644 0:0 B' });
    const linked = await stat(path.join(staging, 'r/a.txt'));
    expect(linked.ino).toBe((await stat(path.join(earlier, 'r/a.txt'))).ino);
    expect((await stat(path.join(staging, 'r/b.txt'))).nlink).toBe(1);
  });

  it('clamps the mtime of a parent that exists in the image to SOURCE_DATE_EPOCH', async () => {
    const lower = await makeTree({ 'srv/old': 'o' });
    await utimes(path.join(lower, 'srv'), 2_000_000, 2_000_000);
    const { staging } = await copy(['a.txt'], '/srv/', { lowerDirs: [lower], sourceDateEpoch: 1_000_000 });
    expect((await stat(path.join(staging, 'srv'))).mtimeMs).toBe(1_000_000_000);
  });
});
