/**
 * mergeLowers: the copy snapshotter's merged lower dirs, as a container would see them,
 * written by core/fs's one tree writer. Root: owners, device nodes and trusted xattrs.
 */
import { execFileSync } from 'node:child_process';
import {
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getXattr, listXattrs, OPAQUE_XATTR, setXattr } from '../../core/fs/overlay-form.js';
import { mergeLowers } from '../../core/runtime/copy-snapshotter.js';
import { requireRoot } from './helpers/require.js';

describe('copy snapshotter: mergeLowers', () => {
  it('applies whiteouts and opaque dirs, keeps owners, modes, xattrs, hard links and devices', async () => {
    requireRoot();
    const base = await mkdtemp(path.join(tmpdir(), 'strata-merge-'));
    const low = path.join(base, 'low');
    const up = path.join(base, 'up');
    await mkdir(path.join(low, 'etc/conf.d'), { recursive: true });
    await writeFile(path.join(low, 'etc/conf.d/a'), 'a');
    await writeFile(path.join(low, 'etc/gone'), 'gone');
    await writeFile(path.join(low, 'etc/kept'), 'kept');
    await writeFile(path.join(low, 'bin-tool'), 'tool');
    execFileSync('chown', ['1000:2000', path.join(low, 'bin-tool')]);
    execFileSync('chmod', ['4750', path.join(low, 'bin-tool')]);
    setXattr(path.join(low, 'bin-tool'), 'user.note', 'cap');
    await link(path.join(low, 'etc/kept'), path.join(low, 'kept-link'));
    execFileSync('mknod', [path.join(low, 'null'), 'c', '1', '3']);
    await symlink('/etc/kept', path.join(low, 'abs-link'));
    // The upper layer: a whiteout of etc/gone, an opaque etc/conf.d with a new file.
    await mkdir(path.join(up, 'etc/conf.d'), { recursive: true });
    execFileSync('mknod', [path.join(up, 'etc/gone'), 'c', '0', '0']);
    setXattr(path.join(up, 'etc/conf.d'), OPAQUE_XATTR, 'y');
    await writeFile(path.join(up, 'etc/conf.d/b'), 'b');
    const dest = path.join(base, 'merged');
    await mergeLowers([up, low], dest);

    expect((await readdir(path.join(dest, 'etc'))).sort()).toEqual(['conf.d', 'kept']);
    expect(await readdir(path.join(dest, 'etc/conf.d'))).toEqual(['b']);
    expect(listXattrs(path.join(dest, 'etc/conf.d'))).not.toContain(OPAQUE_XATTR);
    const tool = await lstat(path.join(dest, 'bin-tool'));
    expect([tool.uid, tool.gid, tool.mode & 0o7777]).toEqual([1000, 2000, 0o4750]);
    expect(getXattr(path.join(dest, 'bin-tool'), 'user.note')?.toString()).toBe('cap');
    const kept = await lstat(path.join(dest, 'etc/kept'));
    expect((await lstat(path.join(dest, 'kept-link'))).ino).toBe(kept.ino);
    const dev = await lstat(path.join(dest, 'null'));
    expect(dev.isCharacterDevice() && dev.rdev === (1 << 8) + 3).toBe(true);
    expect(await readlink(path.join(dest, 'abs-link'))).toBe('/etc/kept');
    expect(await readFile(path.join(dest, 'etc/kept'), 'utf8')).toBe('kept');
  });
});
