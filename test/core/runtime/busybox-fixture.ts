/**
 * Shared by the runtime e2e tests: prerequisite checks that fail loudly, a busybox lower
 * layer, and the "nothing left behind" checks every test ends with.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { RunStepOptions } from '../../../core/runtime/run-step.js';

/** Throws (never skips) when the machine cannot run the runtime e2e tests. */
export function requireRuntimePrereqs(): void {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  if (!['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/bin/runc', '/usr/local/sbin/runc'].some(existsSync))
    missing.push('runc');
  if (!existsSync('/usr/bin/busybox')) missing.push('/usr/bin/busybox (busybox-static)');
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) missing.push('overlay filesystem');
  if (missing.length > 0) {
    throw new Error(`runtime e2e tests need ${missing.join(', ')}; install them or run as root`);
  }
}

export async function makeTestDir(tag: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `strata-rt-${tag}-`));
}

/** A lower dir with /bin/busybox, its applets as symlinks, and /etc/passwd and /etc/group. */
export async function busyboxLayer(dir: string): Promise<string> {
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  await copyFile('/usr/bin/busybox', path.join(dir, 'bin/busybox'));
  const applets = execFileSync('/usr/bin/busybox', ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  for (const a of applets) {
    if (a !== 'busybox') await symlink('busybox', path.join(dir, 'bin', a));
  }
  await mkdir(path.join(dir, 'etc'), { recursive: true });
  await writeFile(
    path.join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n',
  );
  await writeFile(
    path.join(dir, 'etc/group'),
    'root:x:0:\nstaff:x:50:app\napp:x:1000:\nwheel:x:10:root,app\n',
  );
  return dir;
}

/** Mount points at or under `dir` according to /proc/mounts. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** Container ids runc still knows under `runcRoot`. */
export function runcLeftovers(runcRoot: string): string[] {
  if (!existsSync(runcRoot)) return [];
  const out = execFileSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

/** Reads an xattr without following symlinks (Node has no xattr API; python3 does). */
export function getXattr(p: string, name: string): string | undefined {
  const script =
    'import os,sys\ntry:\n  sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())\nexcept OSError:\n  sys.exit(3)';
  try {
    return execFileSync('python3', ['-c', script, p, name], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
}

/**
 * A test file's runtime sandbox: a temp dir with a busybox lower layer and a private runc
 * root, checked after every test for leftover mounts and containers, removed at the end.
 * `stepOptions` gives fresh upper/work/state dirs for one step and captures its output.
 * Call at the top level of a test file; the fields are valid inside tests.
 */
export function useRuntimeSandbox(tag: string) {
  const sandbox = { base: '', busybox: '', runcRoot: '' };
  let n = 0;
  beforeAll(async () => {
    requireRuntimePrereqs();
    sandbox.base = await makeTestDir(tag);
    sandbox.runcRoot = path.join(sandbox.base, 'runc');
    sandbox.busybox = await busyboxLayer(path.join(sandbox.base, 'busybox'));
  });
  afterEach(() => {
    expect(mountsUnder(sandbox.base)).toEqual([]);
    expect(runcLeftovers(sandbox.runcRoot)).toEqual([]);
  });
  afterAll(async () => {
    if (sandbox.base && mountsUnder(sandbox.base).length === 0)
      await rm(sandbox.base, { recursive: true, force: true });
  });
  const stepOptions = async (over: Partial<RunStepOptions> & { args: string[] }) => {
    const dir = path.join(sandbox.base, `step-${++n}`);
    await mkdir(path.join(dir, 'upper'), { recursive: true });
    await mkdir(path.join(dir, 'work'));
    const out = { stdout: '', stderr: '' };
    const opts: RunStepOptions = {
      id: `strata-${tag}-${process.pid}-${n}`,
      lowerDirs: [sandbox.busybox],
      upperDir: path.join(dir, 'upper'),
      workDir: path.join(dir, 'work'),
      stateDir: path.join(dir, 'state'),
      env: [],
      cwd: '/',
      mounts: [],
      network: 'none',
      runcRoot: sandbox.runcRoot,
      onOutput: (s, c) => {
        out[s] += c.toString();
      },
      ...over,
    };
    return { opts, out, dir };
  };
  return { sandbox, stepOptions };
}
