import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInRoot, resolveInRootRelative } from '../../../core/fs/host-tree.js';
import { SecurityError } from '../../../core/oci/errors.js';
import { assertSafeCwd, isProcFdPath } from '../../../core/runtime/safe-cwd.js';

describe('isProcFdPath / assertSafeCwd', () => {
  const bad = [
    '/proc/self/fd/7',
    '/proc/self/fd/8/../../..',
    '/proc/self/fd',
    '/proc/thread-self/fd/3',
    '/proc/1/fd/9',
    '/proc/123/task/456/fd/3',
    '/proc/self/task/1/fd/3',
    '//proc//self/./fd/7/',
    '/work/../proc/self/fd/7',
  ];
  const good = [
    '/',
    '/app',
    '/proc',
    '/proc/self',
    '/proc/self/fdinfo/7',
    '/procx/self/fd/7',
    '/x/proc/self/fd/7',
    '/proc/self/cwd',
  ];
  it.each(bad)('refuses %s', (p) => {
    expect(() => assertSafeCwd(p)).toThrow(SecurityError);
  });
  it('judges the cleaned path in isProcFdPath', () => {
    expect(isProcFdPath('/work/../proc/self/fd/7')).toBe(true);
    // Cleaned this is /proc, but the kernel would follow fd/8 before climbing: assertSafeCwd refuses it.
    expect(isProcFdPath('/proc/self/fd/8/../../..')).toBe(false);
  });
  it.each(good)('allows %s', (p) => {
    expect(isProcFdPath(p)).toBe(false);
    expect(() => assertSafeCwd(p)).not.toThrow();
  });
  it('cleans the path it returns and refuses relative ones', () => {
    expect(assertSafeCwd('/a//b/../c/')).toBe('/a/c');
    expect(() => assertSafeCwd('a/b')).toThrow(SecurityError);
  });
});

describe('resolveInRoot', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'strata-rir-'));
    await mkdir(path.join(root, 'real/sub'), { recursive: true });
    await symlink('/real', path.join(root, 'abs'));
    await symlink('real/sub', path.join(root, 'rel'));
    await symlink('../../../../..', path.join(root, 'up'));
    await symlink('/etc/passwd', path.join(root, 'hostpasswd'));
    await symlink('loop2', path.join(root, 'loop1'));
    await symlink('loop1', path.join(root, 'loop2'));
    await symlink('/proc/self/fd/7', path.join(root, 'fdlink'));
    await writeFile(path.join(root, 'real/file'), 'x');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps plain and missing paths as they are, under root', () => {
    expect(resolveInRoot(root, '/real/file')).toBe(path.join(root, 'real/file'));
    expect(resolveInRoot(root, 'real/missing/deeper')).toBe(path.join(root, 'real/missing/deeper'));
    expect(resolveInRoot(root, '/')).toBe(root);
  });

  it('resolves absolute and relative links against root', () => {
    expect(resolveInRoot(root, '/abs/sub')).toBe(path.join(root, 'real/sub'));
    expect(resolveInRoot(root, '/rel/../file')).toBe(path.join(root, 'real/file'));
  });

  it('never climbs above root', () => {
    expect(resolveInRoot(root, '/../../../etc/passwd')).toBe(path.join(root, 'etc/passwd'));
    expect(resolveInRoot(root, '/up/etc/passwd')).toBe(path.join(root, 'etc/passwd'));
    expect(resolveInRoot(root, '/hostpasswd')).toBe(path.join(root, 'etc/passwd'));
  });

  it('resolves a link to /proc/self/fd inside root (so callers can refuse it)', () => {
    expect(resolveInRootRelative(root, '/fdlink')).toBe('/proc/self/fd/7');
    expect(() => assertSafeCwd('/fdlink', root)).toThrow(SecurityError);
    expect(() => assertSafeCwd('/real/sub', root)).not.toThrow();
  });

  it('stops on symlink loops', () => {
    expect(() => resolveInRoot(root, '/loop1')).toThrow(/too many levels of symlinks/);
  });
});
