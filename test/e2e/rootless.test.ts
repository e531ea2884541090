/**
 * Rootless builds: the CLI run as an unprivileged user (test/e2e/helpers/other-user.ts)
 * enters a user namespace of its own (cmd/rootless-exec.ts). What it builds must be the
 * bytes a root build of the same inputs makes: with SOURCE_DATE_EPOCH and
 * rewrite-timestamp=true, the same docker archive, hence the same diffIDs and image ID; and
 * the images must load and run in Docker with the owners the Dockerfile asked for.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { busyboxArchive } from '../helpers/busybox-base.js';
import { strataOk } from '../helpers/cli.js';
import { copyCliForOtherUsers, docker, requireDocker, requireTool, useTempDirs } from './helpers/index.js';
import { type OtherUser, runAs, runAsOk, singleIdUser, subuidUser } from './helpers/other-user.js';
import { startRegistry } from './helpers/registry.js';

const SEED = fileURLToPath(new URL('../samples/seed-busybox/', import.meta.url));
const STRATA_LAUNCHER = fileURLToPath(new URL('../../dist/cmd/strata', import.meta.url));
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
  baseTar = join(work, 'busybox.tar');
  await busyboxArchive(baseTar);
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

/** One step per RUN mount type; each prints what the test looks for. */
const MOUNTS_DOCKERFILE = `FROM busybox
RUN --mount=type=secret,id=tok cat /run/secrets/tok | grep -q s3cret && echo secret-ok
RUN --mount=type=secret,id=tok,env=TOK test "$TOK" = s3cret && echo secret-env-ok
RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/y && echo tmpfs-ok
RUN --mount=type=bind,target=/ctx cat /ctx/data.txt
RUN --mount=type=cache,target=/c,uid=1000,gid=1000 echo "cache-$(stat -c %u /c)"
RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo ssh-ok
RUN --network=none test "$(sed -n '3,$p' /proc/net/dev | cut -d: -f1 | tr -d ' ')" = lo && echo lo-only
`;

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

  it('the strata launcher (which enters the namespace itself) builds what the Node entry builds', async () => {
    // cmd/strata.sh takes the namespace step before Node starts; main.js does it from Node.
    const launcher = join(dirname(cli), 'strata');
    await cp(STRATA_LAUNCHER, launcher);
    await chmod(launcher, 0o755);
    const ctx = await context('launcher', { Dockerfile: OWNERS_DOCKERFILE, 'greeting.txt': 'hello\n' });
    const ids: string[] = [];
    for (const [name, entry] of [
      ['launcher-sh', launcher],
      ['launcher-node', cli],
    ] as const) {
      const store = join(await userDir(user, name), 'store');
      await runAsOk(user, entry, ['load', '--root', store, '-i', baseTar]);
      await runAsOk(user, entry, ['build', '--root', store, '-q', '-t', 'l:1', ctx], { env: EPOCH });
      const out = join(await userDir(user, `${name}-out`), 'image.tar');
      const save = ['--output', `type=docker,dest=${out},rewrite-timestamp=true`];
      await runAsOk(user, entry, ['build', '--root', store, '-q', '-t', 'l:1', ...save, ctx], { env: EPOCH });
      ids.push(await sha(out));
    }
    expect(ids[0]).toBe(ids[1]);
  }, 180_000);

  it('--output type=local writes files the user owns and can delete, whatever the image owners', async () => {
    const ctx = await context('local-out', { Dockerfile: OWNERS_DOCKERFILE, 'greeting.txt': 'hello\n' });
    const dir = await userDir(user, 'local-out');
    await runAsOk(user, cli, ['load', '--root', join(dir, 'store'), '-i', baseTar]);
    const dest = join(dir, 'rootfs');
    await runAsOk(user, cli, [
      'build',
      '--root',
      join(dir, 'store'),
      '-q',
      '--output',
      `type=local,dest=${dest}`,
      ctx,
    ]);
    expect(await readFile(join(dest, 'home/app/greeting.txt'), 'utf8')).toBe('hello\n');
    const owners = execFileSync('find', [dest, '-printf', '%U\n'], { encoding: 'utf8' }).trim().split('\n');
    expect(new Set(owners)).toEqual(new Set([String(user.uid)]));
    execFileSync('setpriv', [
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      '--clear-groups',
      'rm',
      '-rf',
      dest,
    ]);
    expect(existsSync(dest)).toBe(false);
  }, 120_000);

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

describe('rootless: RUN mounts, push and pull', () => {
  it('secret, tmpfs, bind, cache (with an owner) and ssh mounts run; network none gets its own lo', async () => {
    const user = subuidUser();
    const ctx = await context('mounts', {
      Dockerfile: MOUNTS_DOCKERFILE,
      'data.txt': 'from the context\n',
    });
    const dir = await userDir(user, 'mounts');
    await writeFile(join(dir, 'secret.txt'), 's3cret');
    await chown(join(dir, 'secret.txt'), user.uid, user.gid);
    const agent = join(dir, 'agent.sock');
    const ids = [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'];
    const started = execFileSync('setpriv', [...ids, requireTool('ssh-agent'), '-a', agent], {
      encoding: 'utf8',
    });
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(started)?.[1]);
    onTestFinished(() => {
      if (agentPid > 0) process.kill(agentPid);
    });
    const store = join(dir, 'store');
    await runAsOk(user, cli, ['load', '--root', store, '-i', baseTar]);
    const args = [
      'build',
      '--root',
      store,
      '--progress',
      'plain',
      '--secret',
      `id=tok,src=${join(dir, 'secret.txt')}`,
    ];
    const r = await runAsOk(user, cli, [...args, '--ssh', `default=${agent}`, ctx]);
    for (const line of [
      'secret-ok',
      'secret-env-ok',
      'tmpfs-ok',
      'from the context',
      'cache-1000',
      'ssh-ok',
      'lo-only',
    ])
      expect(r.stderr).toContain(line);
  }, 180_000);

  it('an image pushed by one rootless user and pulled by another keeps its owners', async () => {
    const registry = await startRegistry();
    try {
      const pusher = subuidUser();
      const puller = singleIdUser();
      const ctx = await context('push', { Dockerfile: OWNERS_DOCKERFILE, 'greeting.txt': 'hello\n' });
      const src = join(await userDir(pusher, 'push'), 'store');
      await runAsOk(pusher, cli, ['load', '--root', src, '-i', baseTar]);
      const ref = `${registry.host}/rootless/owners:1`;
      await runAsOk(pusher, cli, ['build', '--root', src, '-q', '-t', ref, ctx]);
      await runAsOk(pusher, cli, ['push', '--root', src, ref]);
      const dstDir = await userDir(puller, 'pull');
      await runAsOk(puller, cli, ['pull', '--root', join(dstDir, 'store'), ref]);
      const ids = async (u: OtherUser, root: string) =>
        (
          await runAsOk(u, cli, [
            'inspect',
            '--root',
            root,
            '--format',
            '{{.Id}} {{json .RootFS.Layers}}',
            ref,
          ])
        ).stdout;
      expect(await ids(puller, join(dstDir, 'store'))).toBe(await ids(pusher, src));
      const tar = join(dstDir, 'pulled.tar');
      await runAsOk(puller, cli, ['save', '--root', join(dstDir, 'store'), ref, '-o', tar]);
      await docker(['load', '-i', tar]);
      expect((await docker(['run', '--rm', ref])).stdout.trim()).toBe(OWNERS_EXPECTED);
      await docker(['rmi', ref]);
    } finally {
      await registry.stop();
    }
  }, 180_000);
});

describe('rootless: what it cannot do is refused with the reason', () => {
  it('STRATA_ROOTLESS=off: a COPY that needs root ownership is refused naming why, the store as before', async () => {
    const user = singleIdUser();
    const ctx = await context('off', { Dockerfile: 'FROM scratch\nCOPY a.txt /a.txt\n', 'a.txt': 'a\n' });
    const store = join(await userDir(user, 'off'), 'store');
    const r = await runAs(user, cli, ['build', '--root', store, ctx], { env: { STRATA_ROOTLESS: 'off' } });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('outside a user namespace (STRATA_ROOTLESS=off?)');
    expect(r.stderr).not.toMatch(/EPERM|internal error/);
    expect((await readdir(join(store, 'layers'))).filter((n) => !n.startsWith('.'))).toEqual([]);
  }, 60_000);

  it('an image with a device node is refused at load, naming the node and why', async () => {
    const user = subuidUser();
    // A one-layer image holding /dev/null-like char device 1:3, made by root.
    const rootfs = join(await tmp(), 'dev.tar');
    execFileSync('python3', [
      '-c',
      'import tarfile,sys\nt=tarfile.open(sys.argv[1],"w")\nfor n,k in (("dev",tarfile.DIRTYPE),("dev/null",tarfile.CHRTYPE)):\n i=tarfile.TarInfo(n); i.type=k; i.mode=0o755 if k==tarfile.DIRTYPE else 0o666; i.devmajor=1; i.devminor=3; t.addfile(i)\nt.close()',
      rootfs,
    ]);
    const rootStore = await tmp();
    await strataOk(['import', '--root', rootStore, rootfs, 'with-device:1']);
    const saved = join(work, 'with-device.tar');
    await strataOk(['save', '--root', rootStore, 'with-device:1', '-o', saved]);
    await chmod(saved, 0o644);
    const dir = await userDir(user, 'device');
    const r = await runAs(user, cli, ['load', '--root', join(dir, 'store'), '-i', saved]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('"dev/null" is a char device node (1:3)');
    expect(r.stderr).toContain('a rootless build cannot create device nodes');
    expect(r.stderr).not.toMatch(/EPERM|internal error/);
  }, 120_000);
});

describe('rootless: apt-get in a RUN step', () => {
  it('installs a Debian package as root inside, with the owners apt gives (_apt)', async () => {
    const user = subuidUser();
    requireTool('debootstrap');
    // The Debian bookworm base of samples/base (cached after its first run), saved by root.
    const rootStore = await tmp();
    execFileSync(
      'bash',
      [fileURLToPath(new URL('../../samples/base/make-node.sh', import.meta.url)), '--root', rootStore],
      {
        stdio: 'pipe',
      },
    );
    const base = join(work, 'debian.tar');
    await strataOk(['save', '--root', rootStore, 'strata-node:bookworm', '-o', base]);
    await chmod(base, 0o644);
    const ctx = await context('apt', {
      Dockerfile:
        'FROM strata-node:bookworm\nRUN apt-get update -qq && apt-get install -y -qq --no-install-recommends cowsay >/dev/null\n' +
        'CMD ["sh", "-c", "/usr/games/cowsay moo && stat -c %U /var/cache/apt/archives/partial"]\n',
    });
    const dir = await userDir(user, 'apt');
    const store = ['--root', join(dir, 'store')];
    await runAsOk(user, cli, ['load', ...store, '-i', base]);
    const tar = join(dir, 'apt.tar');
    const tag = 'strata-e2e-rootless-apt:1';
    const output = ['--output', `type=docker,dest=${tar}`];
    await runAsOk(user, cli, ['build', ...store, '-q', '-t', tag, ...output, ctx]);
    await docker(['load', '-i', tar]);
    const out = (await docker(['run', '--rm', tag])).stdout;
    expect(out).toContain('< moo >');
    expect(out.trim().split('\n').at(-1)).toBe('_apt');
    await docker(['rmi', tag]);
  }, 300_000);
});
