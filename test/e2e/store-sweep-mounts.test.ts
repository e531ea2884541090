/**
 * Opening the store sweeps what dead processes left (staging dirs, build dirs), and never
 * deletes anything below a mount: a mount under a dead entry is unmounted first (and the
 * entry kept when that fails), and an entry an overlay still uses as its upper, work or
 * lower dir is kept. Attacks: a bind of a directory outside the store under a dead staging
 * dir or build dir (a plain `rm -rf` deletes the outside files through it), and an overlay
 * whose upper dir is a dead staging dir (deleting it pulls the files from under the mount).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../store/store.js';
import { strata } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs('strata-sweep-mounts-');

/** Mount points at or under `dir` (this test's own temp dirs only). */
function mountsAt(dir: string): string[] {
  return readMountPoints().filter((m) => m === dir || m.startsWith(`${dir}/`));
}
function readMountPoints(): string[] {
  return execFileSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter(Boolean);
}

const made: string[] = [];
afterEach(() => {
  // Undo what a failing test left mounted, deepest first: only this test's mounts.
  for (const dir of made.splice(0)) {
    for (const m of mountsAt(dir).sort((a, b) => b.length - a.length)) execFileSync('umount', ['-l', m]);
  }
});

/** A name owned by a process that has exited (pid reuse within the test is negligible). */
async function deadOwnerName(): Promise<string> {
  const child = spawn('/bin/true');
  const pid = child.pid as number;
  await new Promise((r) => child.on('close', r));
  return `${pid}.0.${randomBytes(8).toString('hex')}`;
}

/**
 * Binds a dir outside the store, holding a file that must survive, at `mountPoint` (made
 * with its parents); then opens the store with a command and checks the file survived and
 * nothing stays mounted under `root`. Returns the command's result.
 */
async function bindPreciousAndOpen(root: string, mountPoint: string): Promise<{ stderr: string }> {
  const outside = await tmp('strata-precious-');
  made.push(outside);
  await writeFile(join(outside, 'keep.txt'), 'mine\n');
  await mkdir(mountPoint, { recursive: true });
  execFileSync('mount', ['--bind', outside, mountPoint]);

  const r = await strata(['images', '--root', root]);
  expect(r.code).toBe(0);
  expect(await readFile(join(outside, 'keep.txt'), 'utf8')).toBe('mine\n');
  expect(mountsAt(root)).toEqual([]);
  return r;
}

async function storeRoot(): Promise<string> {
  const root = await tmp();
  made.push(root);
  await Store.open(root);
  return root;
}

describe('store open sweeps dead entries without deleting under a mount', () => {
  it('unmounts a bind under a dead staging dir before removing it', async () => {
    requireRoot();
    const root = await storeRoot();
    const staging = join(root, 'layers', `.staging-${await deadOwnerName()}`);
    await bindPreciousAndOpen(root, join(staging, 'diff', 'mnt'));
    expect((await readdir(join(root, 'layers'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('unmounts a bind under a dead build dir, removes the dir and says so', async () => {
    requireRoot();
    const root = await storeRoot();
    const build = join(root, 'builds', await deadOwnerName());
    const r = await bindPreciousAndOpen(root, join(build, 'step', 'mnt'));
    expect(await readdir(join(root, 'builds'))).toEqual([]);
    expect(r.stderr).toMatch(/dead build.*unmounted 1 mount/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('keeps a dead staging dir that an overlay still uses as its upper dir', async () => {
    requireRoot();
    const root = await storeRoot();
    const staging = join(root, 'layers', `.staging-${await deadOwnerName()}`);
    const lower = await tmp('strata-lower-');
    const target = await tmp('strata-ovl-');
    made.push(target);
    await mkdir(join(staging, 'diff'), { recursive: true });
    await mkdir(join(staging, 'work'));
    await writeFile(join(lower, 'base.txt'), 'base\n');
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${join(staging, 'diff')},workdir=${join(staging, 'work')}`,
      target,
    ]);
    await writeFile(join(target, 'written.txt'), 'in use\n');

    await Store.open(root);
    expect(await readFile(join(staging, 'diff', 'written.txt'), 'utf8')).toBe('in use\n');
    expect(await readFile(join(target, 'written.txt'), 'utf8')).toBe('in use\n');

    // Once the overlay is gone, the next open removes it.
    execFileSync('umount', [target]);
    await Store.open(root);
    expect((await readdir(join(root, 'layers'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
