import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RunStepOptions, runStep } from '../../core/runtime/run-step.js';
import { getXattr, useRuntimeSandbox } from '../core/runtime/busybox-fixture.js';

const { sandbox, stepOptions } = useRuntimeSandbox('run');
let base: string;
let busybox: string;
beforeAll(() => {
  ({ base, busybox } = sandbox);
});

/** Runs one step in fresh upper/work/state dirs, capturing its output. */
async function step(over: Partial<RunStepOptions> & { args: string[] }) {
  const { opts, out, dir } = await stepOptions(over);
  const result = await runStep(opts);
  return { result, out, upper: opts.upperDir, dir };
}

describe('runStep', () => {
  it('streams output and reports exit 0', async () => {
    const { result, out } = await step({ args: ['/bin/sh', '-c', 'echo hi; echo oops >&2'] });
    expect(result.exitCode).toBe(0);
    expect(result.snapshotter).toBe('overlay');
    expect(out.stdout).toBe('hi\n');
    expect(out.stderr).toBe('oops\n');
  });

  it('hands the step no fds beyond stdio (CVE-2024-21626 class)', async () => {
    // fd 3 is ls's own handle on the directory it lists.
    const { result, out } = await step({ args: ['/bin/ls', '/proc/self/fd'] });
    expect(result.exitCode).toBe(0);
    expect(out.stdout).toBe('0\n1\n2\n3\n');
  });

  it('reports the exit code of a failing command', async () => {
    const { result } = await step({ args: ['/bin/sh', '-c', 'exit 3'] });
    expect(result.exitCode).toBe(3);
  });

  it('leaves created, modified and deleted files in the upper dir, overlay-style', async () => {
    const lower = path.join(base, 'data-layer');
    await mkdir(path.join(lower, 'data'), { recursive: true });
    await writeFile(path.join(lower, 'data/mod.txt'), 'old\n');
    await writeFile(path.join(lower, 'data/gone.txt'), 'bye\n');
    await writeFile(path.join(lower, 'data/keep.txt'), 'keep\n');
    const { result, upper } = await step({
      lowerDirs: [lower, busybox],
      args: [
        '/bin/sh',
        '-c',
        'echo new > /data/new.txt && echo changed > /data/mod.txt && rm /data/gone.txt',
      ],
    });
    expect(result.exitCode).toBe(0);
    expect(await readFile(path.join(upper, 'data/new.txt'), 'utf8')).toBe('new\n');
    expect(await readFile(path.join(upper, 'data/mod.txt'), 'utf8')).toBe('changed\n');
    const wh = await lstat(path.join(upper, 'data/gone.txt'));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    expect((await readdir(path.join(upper, 'data'))).sort()).toEqual(['gone.txt', 'mod.txt', 'new.txt']);
    // Mount stubs (/proc, /dev, /sys, /etc/resolv.conf, /etc/hosts) were removed again.
    expect((await readdir(upper)).sort()).toEqual(['data', 'etc']);
    expect(await readdir(path.join(upper, 'etc'))).toEqual([]);
  });

  it('marks a replaced directory opaque', async () => {
    const lower = path.join(base, 'opaque-layer');
    await mkdir(path.join(lower, 'data'), { recursive: true });
    await writeFile(path.join(lower, 'data/a'), 'a');
    const { result, upper } = await step({
      lowerDirs: [lower, busybox],
      args: ['/bin/sh', '-c', 'rm -rf /data && mkdir /data && echo x > /data/only'],
    });
    expect(result.exitCode).toBe(0);
    expect(getXattr(path.join(upper, 'data'), 'trusted.overlay.opaque')).toBe('y');
    expect(await readdir(path.join(upper, 'data'))).toEqual(['only']);
  });

  it('applies env, cwd and user', async () => {
    const { result, out, upper } = await step({
      args: ['/bin/sh', '-c', 'id -u; id -g; id -G; pwd; echo "$FOO"; echo "$PATH"'],
      env: ['FOO=bar baz'],
      cwd: '/work/dir/',
      user: 'app',
    });
    expect(result.exitCode).toBe(0);
    expect(out.stdout.split('\n')).toEqual([
      '1000',
      '1000',
      '1000 10 50',
      '/work/dir',
      'bar baz',
      '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '',
    ]);
    expect((await lstat(path.join(upper, 'work/dir'))).isDirectory()).toBe(true);
  });

  it('applies an explicit uid:gid', async () => {
    const { out } = await step({ args: ['/bin/sh', '-c', 'id -u; id -g; id -G'], user: '4242:10' });
    expect(out.stdout).toBe('4242\n10\n10\n');
  });

  it('gives network none only the loopback interface', async () => {
    const { result, out } = await step({
      args: ['/bin/sh', '-c', 'ls /sys/class/net; cat /etc/hostname 2>/dev/null; hostname'],
    });
    expect(result.exitCode).toBe(0);
    expect(out.stdout).toBe('lo\nstrata\n');
  });

  it('shares the host network namespace for network default', async () => {
    const host = (await readdir('/sys/class/net')).sort();
    const { out } = await step({ network: 'default', args: ['/bin/sh', '-c', 'ls -1 /sys/class/net'] });
    expect(out.stdout.split('\n').filter(Boolean).sort()).toEqual(host);
  });

  it('mounts a read-only bind that cannot be written', async () => {
    const src = path.join(base, 'bind-src');
    await mkdir(src, { recursive: true });
    await writeFile(path.join(src, 'file'), 'from host\n');
    const { result, out, upper } = await step({
      mounts: [{ type: 'bind', source: src, target: '/mnt/ro', readonly: true }],
      args: [
        '/bin/sh',
        '-c',
        'cat /mnt/ro/file; if echo x > /mnt/ro/file; then echo WROTE; else echo refused; fi',
      ],
    });
    expect(result.exitCode).toBe(0);
    expect(out.stdout).toBe('from host\nrefused\n');
    expect(await readFile(path.join(src, 'file'), 'utf8')).toBe('from host\n');
    expect(await readdir(upper)).not.toContain('mnt');
  });

  it('keeps tmpfs writes out of the layer', async () => {
    const { result, out, upper } = await step({
      mounts: [{ type: 'tmpfs', target: '/scratch', size: 1 << 20 }],
      args: ['/bin/sh', '-c', 'echo tmp > /scratch/x && cat /scratch/x'],
    });
    expect(result.exitCode).toBe(0);
    expect(out.stdout).toBe('tmp\n');
    // Only /etc is left: copied up for the resolv.conf/hosts mount targets, emptied of
    // them, and given back its times, so a diff sees it unchanged.
    expect(await readdir(upper)).toEqual(['etc']);
    expect(await readdir(path.join(upper, 'etc'))).toEqual([]);
    const [up, low] = [await lstat(path.join(upper, 'etc')), await lstat(path.join(busybox, 'etc'))];
    // Times come back to the microsecond (layers record whole seconds).
    expect(up.mode).toBe(low.mode);
    expect(Math.abs(up.mtimeMs - low.mtimeMs)).toBeLessThan(0.001);
  });

  it('mounts a secret file read-only', async () => {
    const secret = path.join(base, 'secret.txt');
    await writeFile(secret, 's3cr3t', { mode: 0o600 });
    const { out, upper } = await step({
      mounts: [{ type: 'file', source: secret, target: '/run/secrets/token', readonly: true }],
      args: ['/bin/sh', '-c', 'cat /run/secrets/token; echo; echo x > /run/secrets/token || echo refused'],
    });
    expect(out.stdout).toBe('s3cr3t\nrefused\n');
    // /run and /run/secrets did not exist: their stubs are gone.
    expect(await readdir(upper)).toEqual(['etc']);
  });
});
