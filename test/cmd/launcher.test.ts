/**
 * cmd/strata.sh, the `strata` command: it must take NODE_EXTRA_CA_CERTS away from Node's
 * start-up (60 ms of it) and hand the path over as STRATA_EXTRA_CA_CERTS, find main.js
 * beside itself through a symlink (npm links bins), pass arguments through untouched, and
 * start from the startup snapshot only when the `node` it runs is the one that made it.
 * A fake `node` first on PATH prints what it was given.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const LAUNCHER = resolve('cmd/strata.sh');
const ARGS = ['build', '-t', 'a b', '--build-arg', 'X=$HOME'];
/** The young generation's cap the launcher gives V8 (why: cmd/strata.sh). */
const V8 = '--max-semi-space-size=4';
let dir: string;
let linked: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-launcher-'));
  await mkdir(join(dir, 'bin'));
  await writeFile(
    join(dir, 'bin/node'),
    '#!/bin/sh\nprintf "%s\\n" "NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS-unset}" "STRATA_EXTRA_CA_CERTS=${STRATA_EXTRA_CA_CERTS-unset}" "$@"\n',
  );
  await chmod(join(dir, 'bin/node'), 0o755);
  linked = join(dir, 'bin/strata');
  await symlink(LAUNCHER, linked);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function launch(env: Record<string, string>, launcher = linked): Promise<string[]> {
  const { stdout } = await run(launcher, ARGS, {
    env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, ...env },
  });
  return stdout.trimEnd().split('\n');
}

describe('the strata launcher', () => {
  it('hands NODE_EXTRA_CA_CERTS over to strata instead of Node', async () => {
    expect(await launch({ NODE_EXTRA_CA_CERTS: '/etc/corp ca.pem' })).toEqual([
      'NODE_EXTRA_CA_CERTS=unset',
      'STRATA_EXTRA_CA_CERTS=/etc/corp ca.pem',
      V8,
      resolve('cmd/main.js'),
      ...ARGS,
    ]);
  });

  it('sets nothing when there is no extra CA file', async () => {
    expect(await launch({})).toEqual([
      'NODE_EXTRA_CA_CERTS=unset',
      'STRATA_EXTRA_CA_CERTS=unset',
      V8,
      resolve('cmd/main.js'),
      ...ARGS,
    ]);
  });

  describe('with a startup snapshot beside it', () => {
    let dist: string;
    let launcher: string;
    const node = () => join(dir, 'bin/node');
    const stamp = () => join(dist, 'snapshot/node.stamp');
    beforeAll(async () => {
      dist = join(dir, 'dist');
      await mkdir(join(dist, 'cmd'), { recursive: true });
      await mkdir(join(dist, 'snapshot'));
      launcher = join(dist, 'cmd/strata');
      await copyFile(LAUNCHER, launcher);
      await chmod(launcher, 0o755);
      await writeFile(join(dist, 'snapshot/strata.blob'), 'blob');
      await writeFile(stamp(), 'node');
    });
    const sameNode = async () => {
      await utimes(node(), 1_700_000_000, 1_700_000_000);
      await utimes(stamp(), 1_700_000_000, 1_700_000_000);
    };
    const plain = (v8: string[] = [V8]) => [
      'NODE_EXTRA_CA_CERTS=unset',
      'STRATA_EXTRA_CA_CERTS=unset',
      ...v8,
      `${dist}/cmd/main.js`,
      ...ARGS,
    ];

    it('starts from it when the node on PATH is the one that made it', async () => {
      await sameNode();
      expect(await launch({}, launcher)).toEqual([
        'NODE_EXTRA_CA_CERTS=unset',
        'STRATA_EXTRA_CA_CERTS=unset',
        V8,
        '--snapshot-blob',
        `${dist}/cmd/../snapshot/strata.blob`,
        `${dist}/cmd/..`,
        ...ARGS,
      ]);
    });

    it('runs main.js when node changed since, or NODE_OPTIONS or STRATA_NO_SNAPSHOT is set', async () => {
      await sameNode();
      // NODE_OPTIONS: V8's configuration is the user's, so no flag of strata's is added.
      expect(await launch({ NODE_OPTIONS: '--max-old-space-size=100' }, launcher)).toEqual(plain([]));
      expect(await launch({ STRATA_NO_SNAPSHOT: '1' }, launcher)).toEqual(plain());
      await utimes(node(), 1_700_000_001, 1_700_000_001);
      expect(await launch({}, launcher)).toEqual(plain());
      await utimes(node(), 1_600_000_000, 1_600_000_000);
      expect(await launch({}, launcher)).toEqual(plain());
      await sameNode();
      await rm(stamp());
      expect(await launch({}, launcher)).toEqual(plain());
    });
  });
});
