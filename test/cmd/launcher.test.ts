/**
 * cmd/strata.sh, the `strata` command: it must take NODE_EXTRA_CA_CERTS away from Node's
 * start-up (60 ms of it) and hand the path over as STRATA_EXTRA_CA_CERTS, find main.js
 * beside itself through a symlink (npm links bins), and pass arguments through untouched.
 * A fake `node` first on PATH prints what it was given.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const LAUNCHER = resolve('cmd/strata.sh');
const ARGS = ['build', '-t', 'a b', '--build-arg', 'X=$HOME'];
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

async function launch(env: Record<string, string>): Promise<string[]> {
  const { stdout } = await run(linked, ARGS, { env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, ...env } });
  return stdout.trimEnd().split('\n');
}

describe('the strata launcher', () => {
  it('hands NODE_EXTRA_CA_CERTS over to strata instead of Node', async () => {
    expect(await launch({ NODE_EXTRA_CA_CERTS: '/etc/corp ca.pem' })).toEqual([
      'NODE_EXTRA_CA_CERTS=unset',
      'STRATA_EXTRA_CA_CERTS=/etc/corp ca.pem',
      resolve('cmd/main.js'),
      ...ARGS,
    ]);
  });

  it('sets nothing when there is no extra CA file', async () => {
    expect(await launch({})).toEqual([
      'NODE_EXTRA_CA_CERTS=unset',
      'STRATA_EXTRA_CA_CERTS=unset',
      resolve('cmd/main.js'),
      ...ARGS,
    ]);
  });
});
