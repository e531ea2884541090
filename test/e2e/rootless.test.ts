/**
 * Rootless builds: the CLI run as an unprivileged user (test/e2e/helpers/other-user.ts)
 * enters a user namespace of its own (cmd/rootless-exec.ts). What it builds must be the
 * bytes a root build of the same inputs makes: with SOURCE_DATE_EPOCH and
 * rewrite-timestamp=true, the same docker archive, hence the same diffIDs and image ID; and
 * the images must load and run in Docker with the owners the Dockerfile asked for.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { strataOk } from '../helpers/cli.js';
import { copyCliForOtherUsers, docker, requireDocker, useTempDirs } from './helpers/index.js';
import { type OtherUser, runAs, runAsOk, singleIdUser, subuidUser } from './helpers/other-user.js';

const SEED = fileURLToPath(new URL('../samples/seed-busybox/', import.meta.url));
const EPOCH = { SOURCE_DATE_EPOCH: '1700000000' };
const tmp = useTempDirs('strata-rootless-');

let work: string;
let cli: string;
let baseTar: string;

beforeAll(async () => {
  requireDocker();
  work = await tmp();
  await chmod(work, 0o755);
  await mkdir(join(work, 'cli'));
  cli = await copyCliForOtherUsers(join(work, 'cli'));
  // One base image for every store: made once by root, saved, loaded by each user.
  const baseStore = await tmp();
  await importBusybox(baseStore);
  baseTar = join(work, 'busybox.tar');
  await strataOk(['save', '--root', baseStore, 'busybox:latest', '-o', baseTar]);
  await chmod(baseTar, 0o644);
}, 120_000);

/** A directory of the user's own under `work`. */
async function userDir(user: OtherUser, name: string): Promise<string> {
  const d = join(work, `${user.name}-${name}`);
  await mkdir(d, { recursive: true });
  await chown(d, user.uid, user.gid);
  return d;
}

/** A copy of `files` (or of a directory) everyone can read. */
async function context(name: string, from: string | Record<string, string>): Promise<string> {
  const d = join(work, `ctx-${name}`);
  if (typeof from === 'string') await cp(from, d, { recursive: true });
  else {
    await mkdir(d, { recursive: true });
    for (const [f, text] of Object.entries(from)) await writeFile(join(d, f), text);
  }
  execFileSync('chmod', ['-R', 'a+rX', d]);
  return d;
}

const sha = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

/** The config's diff_ids of a one-image docker archive. */
async function diffIds(tar: string): Promise<string[]> {
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', tar, 'manifest.json'], { encoding: 'utf8' })) as {
    Config: string;
  }[];
  const config = JSON.parse(execFileSync('tar', ['-xOf', tar, manifest[0].Config], { encoding: 'utf8' })) as {
    rootfs: { diff_ids: string[] };
  };
  return config.rootfs.diff_ids;
}

/** Builds `ctx` as root and as `user`, each in a fresh store; returns both archives. */
async function buildBoth(
  user: OtherUser,
  name: string,
  ctx: string,
  tag: string,
  extra: string[] = [],
): Promise<{ root: string; rootless: string; output: string }> {
  const rootStore = await tmp();
  await strataOk(['load', '--root', rootStore, '-i', baseTar]);
  const rootTar = join(await tmp(), 'root.tar');
  const out = (dest: string) => ['--output', `type=docker,dest=${dest},rewrite-timestamp=true`];
  await strataOk(['build', '--root', rootStore, '-q', '-t', tag, ...extra, ...out(rootTar), ctx], {
    env: EPOCH,
  });

  const dir = await userDir(user, name);
  const store = join(dir, 'store');
  await runAsOk(user, cli, ['load', '--root', store, '-i', baseTar]);
  const userTar = join(dir, 'out.tar');
  const r = await runAsOk(
    user,
    cli,
    ['build', '--root', store, '--progress', 'plain', '-t', tag, ...extra, ...out(userTar), ctx],
    { env: EPOCH },
  );
  return { root: rootTar, rootless: userTar, output: `${r.stdout}${r.stderr}` };
}

/** COPY --chown, USER, a cache mount and a RUN that chowns as dpkg does. */
const OWNERS_DOCKERFILE = `FROM busybox
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group && mkdir -p /home/app /opt/d && echo a > /opt/d/a && echo b > /opt/b && chown app:app /home/app
RUN rm -rf /opt/d && mkdir /opt/d && echo c > /opt/d/c && rm /opt/b && mkdir -p /var/lib/dpkg/info && touch /var/lib/dpkg/info/x.list && chown -R 100:101 /var/lib/dpkg && chmod 4755 /var/lib/dpkg/info/x.list
COPY --chown=app:app greeting.txt /home/app/
USER app
RUN --mount=type=cache,target=/home/app/.cache,uid=1000,gid=1000 echo cached > /home/app/.cache/x && cp /home/app/.cache/x /home/app/out
CMD ["sh", "-c", "stat -c '%u:%g %a %n' /home/app/greeting.txt /home/app/out /var/lib/dpkg/info/x.list && ls /opt/d && ls /opt"]
`;

const OWNERS_EXPECTED = [
  '1000:1000 644 /home/app/greeting.txt',
  '1000:1000 644 /home/app/out',
  '100:101 4755 /var/lib/dpkg/info/x.list',
  'c',
  'd',
].join('\n');

describe('rootless, with subordinate ids (/etc/subuid)', () => {
  let user: OtherUser;
  beforeAll(() => {
    user = subuidUser();
  });

  for (const df of ['bad', 'good', 'buildkit'] as const) {
    it(`the seed's Dockerfile.${df} builds as the bytes a root build makes, and runs in Docker`, async () => {
      const ctx = await context(`seed-${df}`, SEED);
      const tag = `strata-e2e-rootless-seed-${df}:1`;
      const b = await buildBoth(user, `seed-${df}`, ctx, tag, ['-f', join(ctx, `Dockerfile.${df}`)]);
      expect(await diffIds(b.rootless)).toEqual(await diffIds(b.root));
      expect(await sha(b.rootless)).toBe(await sha(b.root));
      await docker(['load', '-i', b.rootless]);
      const run = await docker(['run', '--rm', tag]);
      expect(run.stdout).toBe(await readFile(join(SEED, 'index.js'), 'utf8'));
      const modules = await docker(['run', '--rm', tag, 'ls', 'node_modules']);
      expect(modules.stdout.trim().split('\n').length).toBeGreaterThan(0);
      await docker(['rmi', tag]);
    }, 180_000);
  }

  it('COPY --chown, USER, a cache mount and RUN chown give the diffIDs of a root build', async () => {
    const ctx = await context('owners', { Dockerfile: OWNERS_DOCKERFILE, 'greeting.txt': 'hello\n' });
    const tag = 'strata-e2e-rootless-owners:1';
    const b = await buildBoth(user, 'owners', ctx, tag);
    const ids = await diffIds(b.rootless);
    expect(ids).toHaveLength(5);
    expect(ids).toEqual(await diffIds(b.root));
    expect(await sha(b.rootless)).toBe(await sha(b.root));
    await docker(['load', '-i', b.rootless]);
    expect((await docker(['run', '--rm', tag])).stdout.trim()).toBe(OWNERS_EXPECTED);
    await docker(['rmi', tag]);
  }, 180_000);
});

/**
 * Owners no single-id namespace can store (1000, 123:456, 7:8): kept in metadata through
 * COPY --chown, a RUN that rewrites such a file as root (overlay copy-up), COPY --from.
 */
const KEPT_OWNERS_DOCKERFILE = `FROM busybox AS base
COPY --chown=1000:1000 greeting.txt /home/app/greeting.txt
COPY --chown=123:456 greeting.txt /srv/data/g2.txt
RUN echo more >> /home/app/greeting.txt && mkdir -p /opt/x && echo y > /opt/x/y
FROM busybox
COPY --from=base /home/app /home/app
COPY --from=base --chown=7:8 /srv /srv
RUN echo again >> /home/app/greeting.txt && touch /seen
CMD ["sh", "-c", "stat -c '%u:%g %n' /home/app /home/app/greeting.txt /srv/data/g2.txt /seen"]
`;

describe('rootless, with only the user id mapped (no /etc/subuid range)', () => {
  let user: OtherUser;
  beforeAll(() => {
    user = singleIdUser();
  });

  it("the seed's Dockerfile.good builds as the bytes a root build makes", async () => {
    const ctx = await context('single-seed', SEED);
    const tag = 'strata-e2e-rootless-single-seed:1';
    const b = await buildBoth(user, 'seed', ctx, tag, ['-f', join(ctx, 'Dockerfile.good')]);
    expect(await sha(b.rootless)).toBe(await sha(b.root));
    await docker(['load', '-i', b.rootless]);
    expect((await docker(['run', '--rm', tag])).stdout).toBe(await readFile(join(SEED, 'index.js'), 'utf8'));
    await docker(['rmi', tag]);
  }, 180_000);

  it('COPY --chown, COPY --from and RUN over kept owners give the diffIDs of a root build', async () => {
    const ctx = await context('single-owners', {
      Dockerfile: KEPT_OWNERS_DOCKERFILE,
      'greeting.txt': 'hello\n',
    });
    const tag = 'strata-e2e-rootless-single-owners:1';
    const b = await buildBoth(user, 'owners', ctx, tag);
    expect(await diffIds(b.rootless)).toEqual(await diffIds(b.root));
    expect(await sha(b.rootless)).toBe(await sha(b.root));
    await docker(['load', '-i', b.rootless]);
    expect((await docker(['run', '--rm', tag])).stdout.trim()).toBe(
      ['0:0 /home/app', '1000:1000 /home/app/greeting.txt', '7:8 /srv/data/g2.txt', '0:0 /seen'].join('\n'),
    );
    await docker(['rmi', tag]);
  }, 180_000);

  it('a RUN as another user is refused up front, naming what it needs', async () => {
    const ctx = await context('single-user', {
      Dockerfile: 'FROM busybox\nUSER nobody\nRUN id\n',
    });
    const dir = await userDir(user, 'refused');
    await runAsOk(user, cli, ['load', '--root', join(dir, 'store'), '-i', baseTar]);
    const r = await runAs(user, cli, ['build', '--root', join(dir, 'store'), ctx]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/subordinate ids/);
    expect(r.stderr).toMatch(/usermod --add-subuids/);
    expect(r.stderr).not.toMatch(/EPERM|EINVAL|internal error/);
  }, 120_000);
});
