/**
 * writeHostTree against a destination that already holds the user's files and planted
 * symlinks: nothing there is deleted or followed, the tree's entries arrive with their
 * metadata, and a directory meeting a non-directory is reported, not resolved by deleting.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devMajor, devMinor } from '../../../core/fs/overlay-form.js';
import { type TreeSource, writeHostTree } from '../../../core/fs/write-host-tree.js';
import { InvalidInputError } from '../../../core/oci/errors.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';

const tmp = useTempDirs('strata-hosttree-');
const isRoot = process.getuid?.() === 0;

/** A plain host directory as a tree source. */
function dirSource(root: string): TreeSource {
  return { root, list: (abs) => readdirSync(abs).map((name) => ({ name, abs: join(abs, name) })) };
}

const opts = { keepOwners: isRoot };

async function scene(): Promise<{ src: string; dest: string; outside: string }> {
  const base = await tmp();
  const src = join(base, 'src');
  const dest = join(base, 'dest');
  const outside = join(base, 'outside');
  for (const d of [src, dest, outside]) await mkdir(d);
  await writeFile(join(outside, 'victim'), 'precious\n');
  return { src, dest, outside };
}

async function listAll(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('writeHostTree', () => {
  it('writes files, dirs, symlinks, hard links and fifos with modes, times and owners', async () => {
    const { src, dest } = await scene();
    await mkdir(join(src, 'bin'));
    await writeFile(join(src, 'bin/tool'), 'tool\n');
    // chown clears setuid, so the owner goes first.
    if (isRoot) execFileSync('chown', ['-h', '1234:5678', join(src, 'bin/tool')]);
    await chmod(join(src, 'bin/tool'), 0o4755);
    execFileSync('ln', [join(src, 'bin/tool'), join(src, 'bin/alias')]);
    await symlink('/bin/tool', join(src, 'link'));
    execFileSync('mkfifo', [join(src, 'pipe')]);
    await mkdir(join(src, 'tmp'));
    await chmod(join(src, 'tmp'), 0o1777);
    await utimes(join(src, 'bin/tool'), 1000, 1_000_000);
    await utimes(join(src, 'tmp'), 1000, 2_000_000);

    await writeHostTree(dirSource(src), dest, opts);
    expect(await readFile(join(dest, 'bin/tool'), 'utf8')).toBe('tool\n');
    const tool = await stat(join(dest, 'bin/tool'));
    expect(tool.mode & 0o7777).toBe(0o4755);
    expect(tool.mtimeMs).toBe(1_000_000_000);
    expect((await stat(join(dest, 'bin/alias'))).ino).toBe(tool.ino);
    if (isRoot) expect([tool.uid, tool.gid]).toEqual([1234, 5678]);
    expect(await readlink(join(dest, 'link'))).toBe('/bin/tool');
    expect((await lstat(join(dest, 'pipe'))).isFIFO()).toBe(true);
    const t = await stat(join(dest, 'tmp'));
    expect(t.mode & 0o7777).toBe(0o1777);
    expect(t.mtimeMs).toBe(2_000_000_000);
  });

  it.runIf(isRoot)('makes device nodes as root', async () => {
    const { src, dest } = await scene();
    execFileSync('mknod', ['-m', '0666', join(src, 'null'), 'c', '1', '3']);
    await writeHostTree(dirSource(src), dest, opts);
    const st = await lstat(join(dest, 'null'));
    expect(st.isCharacterDevice()).toBe(true);
    expect([devMajor(st.rdev), devMinor(st.rdev)]).toEqual([1, 3]);
  });

  it('keeps everything already in the destination that the tree does not name', async () => {
    const { src, dest } = await scene();
    await mkdir(join(dest, '.git'));
    await writeFile(join(dest, '.git/HEAD'), 'ref: main\n');
    await mkdir(join(dest, 'tmp'));
    await writeFile(join(dest, 'tmp/userfile'), 'mine\n');
    await writeFile(join(dest, 'notes.txt'), 'notes\n');
    await mkdir(join(src, 'tmp'));
    await writeFile(join(src, 'tmp/imagefile'), 'image\n');
    await writeHostTree(dirSource(src), dest, opts);
    expect(await listAll(dest)).toEqual([
      '.git',
      '.git/HEAD',
      'notes.txt',
      'tmp',
      'tmp/imagefile',
      'tmp/userfile',
    ]);
    expect(await readFile(join(dest, 'tmp/userfile'), 'utf8')).toBe('mine\n');
  });

  it('replaces a file or a symlink at a file name, never writing through the symlink', async () => {
    const { src, dest, outside } = await scene();
    await writeFile(join(src, 'same.txt'), 'from the image\n');
    await writeFile(join(src, 'passwd'), 'root:x:0:0\n');
    await writeFile(join(dest, 'same.txt'), 'old\n');
    await symlink(join(outside, 'victim'), join(dest, 'passwd'));
    await writeHostTree(dirSource(src), dest, opts);
    expect(await readFile(join(dest, 'same.txt'), 'utf8')).toBe('from the image\n');
    expect((await lstat(join(dest, 'passwd'))).isFile()).toBe(true);
    expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('precious\n');
    expect((await readdir(dest)).sort()).toEqual(['passwd', 'same.txt']);
  });

  it('a symlink where the tree has a directory is not followed: reported, the rest written', async () => {
    const { src, dest, outside } = await scene();
    await mkdir(join(src, 'etc'));
    await writeFile(join(src, 'etc/passwd'), 'root:x:0:0\n');
    await writeFile(join(src, 'hello'), 'hi\n');
    await symlink(outside, join(dest, 'etc'));
    const err = await writeHostTree(dirSource(src), dest, opts).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toMatch(/etc \(the image has a directory/);
    expect(await readdir(outside)).toEqual(['victim']);
    expect(await readlink(join(dest, 'etc'))).toBe(outside);
    expect(await readFile(join(dest, 'hello'), 'utf8')).toBe('hi\n');
  });

  it('a symlink to a directory one level down is not followed either', async () => {
    const { src, dest, outside } = await scene();
    await mkdir(join(src, 'usr/lib'), { recursive: true });
    await writeFile(join(src, 'usr/lib/x.so'), 'elf\n');
    await mkdir(join(dest, 'usr'));
    await symlink('../../outside', join(dest, 'usr/lib'));
    await expect(writeHostTree(dirSource(src), dest, opts)).rejects.toThrow(/usr\/lib/);
    expect(await readdir(outside)).toEqual(['victim']);
  });

  it('a directory where the tree has a file is left with its content and reported', async () => {
    const { src, dest } = await scene();
    await writeFile(join(src, 'data'), 'file\n');
    await mkdir(join(dest, 'data'));
    await writeFile(join(dest, 'data/keep'), 'k\n');
    await expect(writeHostTree(dirSource(src), dest, opts)).rejects.toThrow(
      /data \(the image has a file; the destination has a directory\)/,
    );
    expect(await readdir(join(dest, 'data'))).toEqual(['keep']);
    expect((await readdir(dest)).sort()).toEqual(['data']);
  });

  it('a file where the tree has a directory is left and reported', async () => {
    const { src, dest } = await scene();
    await mkdir(join(src, 'cfg'));
    await writeFile(join(src, 'cfg/a'), 'a\n');
    await writeFile(join(dest, 'cfg'), 'user file\n');
    await expect(writeHostTree(dirSource(src), dest, opts)).rejects.toThrow(/cfg/);
    expect(await readFile(join(dest, 'cfg'), 'utf8')).toBe('user file\n');
  });

  it('a destination that is a file is a clear input error', async () => {
    const { src, dest } = await scene();
    await writeFile(join(dest, 'f'), 'x');
    await expect(writeHostTree(dirSource(src), join(dest, 'f'), opts)).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });
});
