import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MOUNTS } from '../../../core/runtime/build-spec.js';
import { recordStubs, removeStubs, rootfsTargets } from '../../../core/runtime/mount-stubs.js';

let base: string;
let root: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'strata-stubs-'));
  root = path.join(base, 'root');
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await mkdir(path.join(root, 'proc'), { recursive: true });
  await writeFile(path.join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('rootfsTargets', () => {
  it('keeps only mounts that land on the root filesystem itself', () => {
    const mounts = [
      ...DEFAULT_MOUNTS,
      { destination: '/src' },
      { destination: '/src/sub' },
      { destination: '/srcx' },
    ];
    expect(rootfsTargets(mounts)).toEqual(['/proc', '/dev', '/sys', '/src', '/srcx']);
  });
});

describe('recordStubs / removeStubs', () => {
  it('records only missing targets, with every missing component', () => {
    const stubs = recordStubs(root, [
      '/proc',
      '/etc/hosts',
      '/etc/resolv.conf',
      '/run/secrets/a',
      '/run/secrets/b',
    ]);
    expect(stubs.map((s) => s.created)).toEqual([
      ['etc/resolv.conf'],
      ['run', 'run/secrets', 'run/secrets/a'],
      ['run/secrets/b'],
    ]);
    expect(stubs[0]?.parent).toBe('etc');
  });

  it('removes empty stubs deepest first and keeps what the step filled', async () => {
    const stubs = recordStubs(root, ['/run/secrets/a', '/cache/x', '/etc/resolv.conf']);
    await mkdir(path.join(root, 'run/secrets/a'), { recursive: true });
    await mkdir(path.join(root, 'cache/x'), { recursive: true });
    await writeFile(path.join(root, 'cache/kept'), 'data');
    await writeFile(path.join(root, 'etc/resolv.conf'), '');
    const removed = removeStubs(root, stubs);
    expect(removed.sort()).toEqual(['cache/x', 'etc/resolv.conf', 'run', 'run/secrets', 'run/secrets/a']);
    expect(existsSync(path.join(root, 'run'))).toBe(false);
    expect(existsSync(path.join(root, 'cache/kept'))).toBe(true);
  });

  it('puts back the parent times after removing a stub', async () => {
    const before = await lstat(path.join(root, 'etc'), { bigint: true });
    const stubs = recordStubs(root, ['/etc/resolv.conf']);
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(path.join(root, 'etc/resolv.conf'), '');
    removeStubs(root, stubs);
    const after = await lstat(path.join(root, 'etc'), { bigint: true });
    // Back to about the microsecond: layers record whole seconds, and one utimes call is far
    // cheaper than the two touch(1) processes nanoseconds would need. A double of seconds
    // keeps ~0.24 us at today's dates, and the call may cut to whole microseconds (1,043 ns
    // was seen under load against a bound of 1,000): within 2 us.
    // Number, not a boolean: a failure then says how far off the time was.
    const drift = Number(after.mtimeNs - before.mtimeNs);
    expect(Math.abs(drift)).toBeLessThan(2000);
    expect(after.mtimeNs / 1_000_000_000n).toBe(before.mtimeNs / 1_000_000_000n);
  });

  it('does not follow a parent swapped for a symlink to the host (CVE-2024-23652)', async () => {
    const victim = path.join(base, 'host/victim');
    await mkdir(victim, { recursive: true });
    await writeFile(path.join(base, 'host/victim-file'), '');
    const rel = path.relative('/', base);
    const stubs = recordStubs(root, [`/x/${rel}/host/victim`, `/y/${rel}/host/victim-file`]);
    // The step replaced /x and /y with links to /: a following cleaner would hit the host.
    await symlink('/', path.join(root, 'x'));
    await symlink('/', path.join(root, 'y'));
    expect(removeStubs(root, stubs)).toEqual([]);
    expect((await lstat(victim)).isDirectory()).toBe(true);
    expect((await lstat(path.join(base, 'host/victim-file'))).isFile()).toBe(true);
  });

  it('does not follow a symlinked middle component either', async () => {
    const victim = path.join(base, 'outside/stub');
    await mkdir(victim, { recursive: true });
    const stubs = recordStubs(root, ['/a/b/stub']);
    await mkdir(path.join(root, 'a'));
    await symlink(path.join(base, 'outside'), path.join(root, 'a/b'));
    expect(removeStubs(root, stubs)).toEqual([]);
    expect(existsSync(victim)).toBe(true);
  });
});
