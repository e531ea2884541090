/**
 * `--output type=local,dest=D` as the attack on the user's directory: D already holds a git
 * checkout, an ssh key, notes and tmp/userfile; the image's base layer marks its root opaque
 * and a RUN deletes /tmp. What lands in D is the image's final filesystem, added to what D
 * had: nothing of D is deleted, and a symlink planted in D is never written through.
 */
import { mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../store/index.js';
import { buildToDir, strata } from '../helpers/cli.js';
import { expectUserFilesKept, makeOpaqueRootBase, makeUserDir } from './helpers/export-target.js';
import { requireRoot, requireTool, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs('strata-export-local-');
let root: string;
let ctx: string;

beforeAll(async () => {
  requireRoot();
  requireTool('runc');
  root = await tmp();
  ctx = await tmp();
  const store = await Store.open(root);
  await makeOpaqueRootBase(store, 'opaque-root:1');
  await writeFile(
    join(ctx, 'Dockerfile'),
    'FROM opaque-root:1\nRUN rm -rf /tmp && echo built > /built.txt\nCOPY hello.txt /etc/hello.txt\n',
  );
  await writeFile(join(ctx, 'hello.txt'), 'hello\n');
}, 120_000);

describe('--output type=local', () => {
  it("adds the image's filesystem to D and deletes nothing D had", async () => {
    const d = await makeUserDir(join(await tmp(), 'out'));
    await buildToDir(root, ctx, d, ['-q']);
    await expectUserFilesKept(d);
    // The image's deletion is not replayed on D, and the image has no /tmp to write.
    expect(await readdir(join(d, 'tmp'))).toEqual(['userfile']);
    expect(await readFile(join(d, 'built.txt'), 'utf8')).toBe('built\n');
    expect(await readFile(join(d, 'etc/hello.txt'), 'utf8')).toBe('hello\n');
    expect(await readlink(join(d, 'bin/sh'))).toBe('/bin/busybox');
    expect((await readdir(join(d, 'etc'))).sort()).toEqual(['group', 'hello.txt', 'passwd']);
  });

  it('does not write through a symlink planted in D, and says what was in the way', async () => {
    const d = await makeUserDir(join(await tmp(), 'out'));
    const victim = join(await tmp(), 'victim-dir');
    await mkdir(victim);
    await symlink(victim, join(d, 'etc'));
    const r = await strata(['build', '--root', root, '-q', '--output', `type=local,dest=${d}`, ctx]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stderr).toMatch(/etc \(the image has a directory/);
    expect(await readdir(victim)).toEqual([]);
    expect(await readlink(join(d, 'etc'))).toBe(victim);
    // Everything else was written.
    expect(await readFile(join(d, 'built.txt'), 'utf8')).toBe('built\n');
    await expectUserFilesKept(d);
  });
});
