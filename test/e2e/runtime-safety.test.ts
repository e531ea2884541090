import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SecurityError } from '../../core/oci/errors.js';
import { buildSpec } from '../../core/runtime/build-spec.js';
import { cleanupStale } from '../../core/runtime/cleanup.js';
import { mountOverlay } from '../../core/runtime/overlay.js';
import { writeOwner } from '../../core/runtime/owner.js';
import { type RunStepOptions, runStep } from '../../core/runtime/run-step.js';
import { mountsUnder, runcLeftovers, useRuntimeSandbox } from '../core/runtime/busybox-fixture.js';

const { sandbox, stepOptions } = useRuntimeSandbox('safety');
let base: string;
let busybox: string;
let runcRoot: string;
beforeAll(() => {
  ({ base, busybox, runcRoot } = sandbox);
});

describe('runStep safety', () => {
  it('never follows a symlink the step put in place of a stub parent (CVE-2024-23652)', async () => {
    // Host victims shaped like the stubs: an empty dir (tmpfs target) and an empty file
    // (secret target). A cleaner that follows upper/x -> / would remove both.
    const victims = path.join(base, 'victims');
    await mkdir(path.join(victims, 'dir'), { recursive: true });
    await writeFile(path.join(victims, 'file'), '');
    const secret = path.join(base, 'secret-src');
    await writeFile(secret, 'v');
    const { opts, out } = await stepOptions({
      mounts: [
        { type: 'tmpfs', target: `/x${victims}/dir` },
        { type: 'file', source: secret, target: `/y${victims}/file`, readonly: true },
      ],
      args: [
        '/bin/sh',
        '-c',
        'mv /x /x.old && ln -s / /x && mv /y /y.old && ln -s / /y && readlink /x && readlink /y',
      ],
    });
    const result = await runStep(opts);
    expect(out.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(out.stdout).toBe('/\n/\n');
    expect(await readlink(path.join(opts.upperDir, 'x'))).toBe('/');
    expect((await lstat(path.join(victims, 'dir'))).isDirectory()).toBe(true);
    expect((await lstat(path.join(victims, 'file'))).isFile()).toBe(true);
  });

  it('refuses a WORKDIR reaching the host through /proc/self/fd', async () => {
    const { opts } = await stepOptions({
      cwd: '/proc/self/fd/7',
      args: ['/bin/sh', '-c', 'cat ../../../etc/hostname'],
    });
    await expect(runStep(opts)).rejects.toBeInstanceOf(SecurityError);
  });

  it('refuses a cwd that is a symlink in the image to /proc/self/fd/N', async () => {
    const lower = path.join(base, 'fdlink-layer');
    await mkdir(lower, { recursive: true });
    await symlink('/proc/self/fd/7', path.join(lower, 'work'));
    const { opts } = await stepOptions({
      lowerDirs: [lower, busybox],
      cwd: '/work',
      args: ['/bin/sh', '-c', 'cat ../../../etc/hostname'],
    });
    await expect(runStep(opts)).rejects.toBeInstanceOf(SecurityError);
  });

  it('mounts 120 lower layers (long paths, short links) with the top-most winning', async () => {
    const lowers: string[] = [];
    for (let i = 0; i < 120; i++) {
      // Store-like long paths: 120 of them cannot fit one page of mount options.
      const d = path.join(base, 'layers', `${i.toString().padStart(3, '0')}${'a'.repeat(61)}`, 'diff');
      await mkdir(path.join(d, 'layers'), { recursive: true });
      await writeFile(path.join(d, 'layers', `f${i}`), `${i}`);
      await writeFile(path.join(d, 'top.txt'), `${i}`);
      lowers.push(d);
    }
    expect(lowers.join(':').length).toBeGreaterThan(4096);
    const { opts, out } = await stepOptions({
      lowerDirs: [...lowers, busybox],
      args: ['/bin/sh', '-c', 'ls /layers | wc -l; cat /top.txt'],
    });
    const result = await runStep(opts);
    expect(result).toMatchObject({ exitCode: 0, snapshotter: 'overlay' });
    expect(out.stdout.split('\n').map((s) => s.trim())).toEqual(['120', '0']);
  });

  /** Runs `script` under sh in a step; its stdout, after checking it exited 0. */
  async function stdoutOf(script: string, over: Partial<RunStepOptions> = {}): Promise<string> {
    const { opts, out } = await stepOptions({ ...over, args: ['/bin/sh', '-c', script] });
    expect((await runStep(opts)).exitCode).toBe(0);
    return out.stdout;
  }

  it('filters syscalls: no new user namespace, no keyring, the filter shows in /proc', async () => {
    const out = await stdoutOf(
      'grep "^Seccomp:" /proc/self/status; unshare -U true 2>&1; echo "unshare $?"; echo forked ok',
    );
    expect(out).toMatch(/^Seccomp:\s+2\n/);
    expect(out).toMatch(/Operation not permitted/);
    expect(out).toMatch(/unshare 1\n/);
    expect(out).toMatch(/forked ok\n$/);
  });

  it('runs --security=insecure without the filter and with every capability', async () => {
    const out = await stdoutOf(
      'grep -E "^(Seccomp|CapEff):" /proc/self/status; unshare -U true; echo "unshare $?"',
      {
        security: 'insecure',
      },
    );
    expect(out).toMatch(/Seccomp:\s+0\n/);
    // CAP_SYS_ADMIN (bit 21) is there, which Docker's default set lacks.
    const capEff = BigInt(`0x${/CapEff:\s+([0-9a-f]+)/.exec(out)?.[1]}`);
    expect(capEff & (1n << 21n)).toBe(1n << 21n);
    expect(out).toMatch(/unshare 0\n/);
  });

  it('runs FROM scratch with an empty lower list', async () => {
    // Nothing to execute in an empty root: runc fails to start, and still cleans up.
    const { opts } = await stepOptions({ lowerDirs: [], args: ['/bin/true'] });
    await expect(runStep(opts)).rejects.toThrow(/runc failed/);
  });

  it('kills a running step on abort and cleans up', async () => {
    const ac = new AbortController();
    const { opts } = await stepOptions({
      args: ['/bin/sh', '-c', 'echo started; sleep 100'],
      signal: ac.signal,
    });
    opts.onOutput = (_s, c) => {
      if (c.toString().includes('started')) ac.abort();
    };
    await expect(runStep(opts)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('cleans up a running step on SIGINT, and leaves the decision to other listeners', async () => {
    const { opts } = await stepOptions({ args: ['/bin/sh', '-c', 'echo started; sleep 100'] });
    // Another SIGINT listener (as a CLI would have) keeps the guard from re-raising the
    // signal, which would end this test process.
    let seen = 0;
    const other = () => {
      seen++;
    };
    process.on('SIGINT', other);
    try {
      opts.onOutput = (_s, c) => {
        if (c.toString().includes('started')) process.emit('SIGINT', 'SIGINT');
      };
      await expect(runStep(opts)).rejects.toMatchObject({ name: 'AbortError', message: /SIGINT/ });
      expect(seen).toBe(1);
      // The guard is gone once no step runs.
      expect(process.listeners('SIGINT')).toEqual([other]);
    } finally {
      process.off('SIGINT', other);
    }
  });

  it('runs with the copy snapshotter and leaves the same change', async () => {
    const lower = path.join(base, 'copy-layer');
    await mkdir(path.join(lower, 'data'), { recursive: true });
    await writeFile(path.join(lower, 'data/mod.txt'), 'old\n');
    await writeFile(path.join(lower, 'data/gone.txt'), 'bye\n');
    await writeFile(path.join(lower, 'data/keep.txt'), 'keep\n');
    // A whiteout in an upper lower layer hides a file of a deeper one.
    const hider = path.join(base, 'hider-layer');
    await mkdir(path.join(hider, 'data'), { recursive: true });
    execFileSync('mknod', [path.join(hider, 'data/keep.txt'), 'c', '0', '0']);
    const { opts, out } = await stepOptions({
      snapshotter: 'copy',
      lowerDirs: [hider, lower, busybox],
      args: [
        '/bin/sh',
        '-c',
        'ls /data; echo new > /data/new.txt && echo changed > /data/mod.txt && rm /data/gone.txt',
      ],
    });
    const result = await runStep(opts);
    expect(result).toMatchObject({ exitCode: 0, snapshotter: 'copy' });
    expect(out.stdout).toBe('gone.txt\nmod.txt\n');
    const upper = opts.upperDir;
    expect(await readFile(path.join(upper, 'data/new.txt'), 'utf8')).toBe('new\n');
    expect(await readFile(path.join(upper, 'data/mod.txt'), 'utf8')).toBe('changed\n');
    const wh = await lstat(path.join(upper, 'data/gone.txt'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect((await readdir(path.join(upper, 'data'))).sort()).toEqual(['gone.txt', 'mod.txt', 'new.txt']);
    expect((await readdir(upper)).sort()).toEqual(['data']);
    expect(existsSync(path.join(opts.stateDir, 'rootfs'))).toBe(false);
  });

  it('falls back to copying when overlay cannot be mounted, and says why', async () => {
    // Overlay needs workdir and upperdir on one filesystem: /dev/shm is another one.
    const work = await mkdtemp(path.join('/dev/shm', 'strata-rt-work-'));
    try {
      const { opts, out } = await stepOptions({ args: ['/bin/sh', '-c', 'echo hi > /hi.txt; cat /hi.txt'] });
      opts.workDir = work;
      const result = await runStep(opts);
      expect(result).toMatchObject({ exitCode: 0, snapshotter: 'copy' });
      expect(result.overlayError).toMatch(/mount overlay/);
      expect(out.stdout).toBe('hi\n');
      expect(await readFile(path.join(opts.upperDir, 'hi.txt'), 'utf8')).toBe('hi\n');
      expect(mountsUnder(work)).toEqual([]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('cleanupStale removes the container and mounts of a dead owner, not of a live one', async () => {
    const stateRoot = path.join(base, 'stale-root');
    const dead = await deadPid();
    const stale = await fakeStep(stateRoot, 'stale', dead);
    const live = await fakeStep(stateRoot, 'live', process.pid);
    const r = await cleanupStale(stateRoot, { runcRoot });
    expect(r.containers.map((c) => c.id)).toEqual([`strata-stale-${process.pid}`]);
    expect(r.mounts).toEqual([path.join(stale, 'rootfs')]);
    expect(r.left).toEqual([]);
    expect(mountsUnder(stale)).toEqual([]);
    expect(mountsUnder(live)).toHaveLength(1);
    expect(runcLeftovers(runcRoot)).toEqual([`strata-live-${process.pid}`]);
    // The live one belongs to this process: clean it the same way to end the test.
    execFileSync('runc', ['--root', runcRoot, 'delete', '-f', `strata-live-${process.pid}`]);
    execFileSync('umount', [path.join(live, 'rootfs')]);
  });

  it('removes the state dir a runc run killed before state.json leaves, and nothing newer or recorded', async () => {
    const fakeRoot = await mkdtemp(path.join(base, 'runc-root-'));
    const old = Date.now() / 1000 - 120;
    const make = async (id: string, files: string[], mtime?: number) => {
      const dir = path.join(fakeRoot, id);
      await mkdir(dir);
      for (const f of files) await writeFile(path.join(dir, f), '');
      if (mtime !== undefined) await utimes(dir, mtime, mtime);
      return dir;
    };
    const orphan = await make('strata-orphan', ['exec.fifo'], old);
    await make('strata-young', ['exec.fifo']);
    await make('strata-recorded', ['exec.fifo', 'state.json'], old);
    await make('someone-else', ['exec.fifo'], old);
    const r = await cleanupStale(path.join(base, 'no-steps-here'), { runcRoot: fakeRoot });
    expect(r.stateDirs).toEqual([orphan]);
    expect((await readdir(fakeRoot)).sort()).toEqual(['someone-else', 'strata-recorded', 'strata-young']);
  });
});

/** A pid that just exited (reuse within the test is vanishingly unlikely). */
async function deadPid(): Promise<number> {
  const child = spawn('/bin/true');
  const pid = child.pid as number;
  await new Promise((r) => child.on('close', r));
  return pid;
}

/**
 * What a SIGKILLed build leaves: a state dir with an owner file, an overlay mounted at its
 * rootfs and a created runc container on it.
 */
async function fakeStep(stateRoot: string, name: string, ownerPid: number): Promise<string> {
  const dir = path.join(stateRoot, name);
  for (const d of ['upper', 'work', 'rootfs']) await mkdir(path.join(dir, d), { recursive: true });
  const id = `strata-${name}-${process.pid}`;
  await writeOwner(dir, id, runcRoot);
  if (ownerPid !== process.pid) {
    const owner = JSON.parse(await readFile(path.join(dir, 'owner.json'), 'utf8'));
    await writeFile(path.join(dir, 'owner.json'), JSON.stringify({ ...owner, pid: ownerPid }));
  }
  await mountOverlay({
    lowerDirs: [busybox],
    upperDir: path.join(dir, 'upper'),
    workDir: path.join(dir, 'work'),
    target: path.join(dir, 'rootfs'),
    scratchDir: dir,
  });
  const spec = buildSpec({
    rootfs: path.join(dir, 'rootfs'),
    args: ['/bin/sleep', '100'],
    env: [],
    cwd: '/',
    user: { uid: 0, gid: 0 },
    hostname: 'strata',
    network: 'none',
    mounts: [],
    resolvConf: '/etc/resolv.conf',
    hosts: '/etc/hosts',
    cgroupNamespace: false,
    nofile: 1024,
  });
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(spec));
  execFileSync('runc', ['--root', runcRoot, 'create', '--bundle', dir, id], { stdio: 'ignore' });
  return dir;
}
