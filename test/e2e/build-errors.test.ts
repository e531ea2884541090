/**
 * Bad input gives a clear error and leaves the store as it was: nothing half-written, no
 * layer, record or tag from the failed step.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { strata } from '../helpers/cli.js';
import { copyCliForOtherUsers, requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();

/** A copy of the built CLI that nobody can read wherever the checkout lives. */
let nobodysCli: string;
beforeAll(async () => {
  nobodysCli = await copyCliForOtherUsers(await tmp('strata-cli-copy-'));
});

/** The built CLI run as nobody (uid and gid 65534, no groups). */
function strataAsNobody(args: string[]) {
  const ids = ['--reuid=65534', '--regid=65534', '--clear-groups'];
  return spawnSync('setpriv', [...ids, process.execPath, nobodysCli, ...args], { encoding: 'utf8' });
}

/** Every path in the store except the stat cache (a cache of context reads, not content). */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const rel = relative(root, p);
      if (rel.startsWith('meta/') && rel.includes('stat')) continue;
      out.push(rel);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(root);
  return out.sort();
}

describe('bad input leaves the store as it was', () => {
  let root: string;
  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    await importBusybox(root);
  });

  async function failingBuild(
    files: Record<string, string>,
    dockerfile: string,
    expectMsg: RegExp,
    extra: (ctx: string) => Promise<void> = async () => {},
  ) {
    const ctx = await tmp();
    for (const [name, content] of Object.entries(files)) {
      await mkdir(join(ctx, name, '..'), { recursive: true });
      await writeFile(join(ctx, name), content);
    }
    await writeFile(join(ctx, 'Dockerfile'), dockerfile);
    await extra(ctx);
    const before = await snapshot(root);
    const r = await strata(['build', '--root', root, '--progress', 'plain', '-t', 'bad:1', ctx]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(expectMsg);
    expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
    expect(await snapshot(root)).toEqual(before);
    return r;
  }

  it('COPY ../x', async () => {
    await failingBuild({ 'a.txt': 'a' }, 'FROM busybox\nCOPY ../x /x\n', /outside|escapes|context/i);
  });

  it('a missing source', async () => {
    await failingBuild({ 'a.txt': 'a' }, 'FROM busybox\nCOPY missing.txt /x\n', /missing\.txt/);
  });

  it('a context symlink pointing outside, named as a source', async () => {
    await failingBuild({ 'a.txt': 'a' }, 'FROM busybox\nCOPY evil /x\n', /evil/, async (ctx) => {
      await symlink('/etc/passwd', join(ctx, 'evil'));
    });
  });

  it('a missing Dockerfile', async () => {
    const ctx = await tmp();
    const before = await snapshot(root);
    const r = await strata(['build', '--root', root, ctx]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/read dockerfile: .*Dockerfile: no such file/);
    expect(await snapshot(root)).toEqual(before);
  });

  it('a Dockerfile error points at the line with a caret', async () => {
    const r = await failingBuild({}, 'FROM busybox\nCOPY --bogus=1 a /b\n', /Dockerfile:2:\d+: .*bogus/);
    expect(r.stderr).toContain('COPY --bogus=1 a /b');
    expect(r.stderr).toMatch(/\n\s*\^/);
  });

  it('a failing RUN names the step, the command and the exit code, and stores nothing for it', async () => {
    const r = await failingBuild(
      {},
      'FROM busybox\nRUN echo about to fail && exit 7\n',
      /exited with code 7/,
    );
    expect(r.stderr).toContain('about to fail');
    expect(r.stderr).toContain('RUN echo about to fail && exit 7');
    expect(await readFile('/proc/mounts')).not.toContain(root);
  });

  it('an unreadable file (as an unprivileged user)', async () => {
    const ctx = await tmp();
    const uroot = await tmp();
    await chown(uroot, 65534, 65534);
    await chmod(ctx, 0o755);
    await writeFile(join(ctx, 'secret.txt'), 'no');
    await chmod(join(ctx, 'secret.txt'), 0o000);
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY secret.txt /secret.txt\n');
    await chmod(join(ctx, 'Dockerfile'), 0o644);
    const err = strataAsNobody(['build', '--root', join(uroot, 's'), ctx]).stderr;
    expect(err).toMatch(/secret\.txt/);
    expect(err).toMatch(/permission denied|EACCES/i);
    expect(err).not.toMatch(/internal error/);
    const layers = await readdir(join(uroot, 's', 'layers'));
    expect(layers.filter((l) => !l.startsWith('.'))).toEqual([]);
  });

  it('a store root the user cannot write (as an unprivileged user)', async () => {
    const ctx = await tmp();
    const locked = await tmp(); // root's, 0700: nobody cannot make a store in it
    await chmod(ctx, 0o755);
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\n');
    await chmod(join(ctx, 'Dockerfile'), 0o644);
    const r = strataAsNobody(['build', '--root', join(locked, 's'), ctx]);
    expect(r.stderr).toContain(`strata: open store ${join(locked, 's')}: EACCES`);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.status).toBe(2);
    expect(await readdir(locked)).toEqual([]);
  });

  it('the store disk filling up mid-layer', async () => {
    const mnt = await tmp();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
    try {
      const ctx = await tmp();
      await writeFile(join(ctx, 'big.bin'), Buffer.alloc(6 * 1024 * 1024, 7));
      await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY big.bin /big.bin\n');
      const r = await strata(['build', '--root', join(mnt, 's'), '-t', 'full:1', ctx]);
      expect(r.code).toBe(8);
      expect(r.stderr).toMatch(/no space/i);
      const layers = await readdir(join(mnt, 's', 'layers'));
      expect(layers.filter((l) => !l.startsWith('.'))).toEqual([]);
      expect(await readdir(join(mnt, 's', 'cache'))).toEqual([]);
      expect(await readdir(join(mnt, 's', 'refs'))).toEqual([]);
      expect((await stat(join(mnt, 's'))).isDirectory()).toBe(true);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

import { readFile } from 'node:fs/promises';
