/**
 * RUN steps for real: runc on an overlay of the parent layers. The image strata builds has
 * the same filesystem as Docker's own build of the same Dockerfile (adds, changes, a delete
 * that becomes a whiteout, a replaced directory that becomes opaque), and a cache mount
 * keeps its contents across builds, outside every layer.
 */
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getXattr } from '../../core/fs/overlay-form.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { buildToDir, stepOutcomes, strata, strataOk } from '../helpers/cli.js';
import { buildAndLoad, docker, requireDocker, requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();

const FS_DOCKERFILE = `FROM busybox
RUN mkdir -p /data/keep /data/replace && echo one > /data/keep/a && echo gone > /data/keep/b \\
 && echo old > /data/replace/x && chmod 600 /data/keep/a && echo base > /data/replace/z
RUN echo two >> /data/keep/a && rm /data/keep/b && rm -rf /data/replace && mkdir /data/replace \\
 && echo new > /data/replace/y && ln -s keep/a /data/link && chmod 751 /data/keep
CMD ["sh"]
`;

/** What a container of `image` sees under /data: path, type, mode, content. */
async function listing(image: string): Promise<string> {
  const script =
    'cd /data && find . | sort | while read f; do if [ -L "$f" ]; then echo "$f L $(readlink $f)"; elif [ -d "$f" ]; then echo "$f D $(stat -c %a $f)"; else echo "$f F $(stat -c %a $f) $(cat $f | tr "\\n" "|")"; fi; done';
  return (await docker(['run', '--rm', image, 'sh', '-c', script])).stdout;
}

describe('RUN in runc', () => {
  let root: string;
  beforeAll(async () => {
    requireRoot();
    requireDocker();
    root = await tmp();
    await importBusybox(root);
    // Docker's build starts from the very same base image.
    const base = join(await tmp(), 'busybox.tar');
    await strataOk(['save', '--root', root, 'busybox:latest', '-o', base]);
    await docker(['load', '-i', base]);
  });

  it("gives the same filesystem as Docker's own build, with whiteouts and an opaque dir in the layer", async () => {
    const ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), FS_DOCKERFILE);
    const out = join(await tmp(), 'img.tar');
    await buildAndLoad(root, ctx, 'strata-run:1', out);
    const built = await docker(['build', '-q', '-t', 'docker-run:1', ctx], { env: { DOCKER_BUILDKIT: '1' } });
    expect(built.stdout).toMatch(/sha256:/);
    const ours = await listing('strata-run:1');
    const theirs = await listing('docker-run:1');
    expect(ours).toContain('./keep/a F 600 one|two|');
    expect(ours).not.toContain('./keep/b');
    expect(ours).not.toContain('./replace/x');
    expect(ours).toBe(theirs);

    // The second RUN's layer: b is a whiteout (char 0:0), replace/ is opaque.
    const layers = JSON.parse(
      (await strataOk(['inspect', '--root', root, '--format', '{{json .RootFS.Layers}}', 'strata-run:1']))
        .stdout,
    );
    const { chainIds } = await import('../../core/oci/digest.js');
    const top = chainIds(layers).pop() as string;
    const diff = join(root, 'layers', top.slice(7), 'diff');
    const wh = await lstat(join(diff, 'data/keep/b'));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    expect(getXattr(join(diff, 'data/replace'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect((await readdir(join(diff, 'data/replace'))).sort()).toEqual(['y']);
    await docker(['rmi', '-f', 'strata-run:1', 'docker-run:1']);
  });

  it('a cache mount keeps what a RUN appended across builds, never in the image, until pruned', async () => {
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nCOPY step.txt /step.txt\nRUN --mount=type=cache,target=/cache sh -c \'cat /step.txt >> /cache/log; cp /cache/log /seen.txt\'\nCMD ["cat", "/seen.txt"]\n',
    );
    const seen = async () => {
      const r = await strataOk(['build', '--root', root, '--progress', 'plain', '-t', 'cm:1', ctx]);
      const dir = join(await tmp(), 'rootfs');
      await buildToDir(root, ctx, dir, ['-q']);
      const { readFile } = await import('node:fs/promises');
      const cacheDirInImage = await readdir(join(dir, 'cache')).catch(() => []);
      return {
        steps: stepOutcomes(r.stderr),
        seen: await readFile(join(dir, 'seen.txt'), 'utf8'),
        cacheDirInImage,
      };
    };
    await writeFile(join(ctx, 'step.txt'), 'one\n');
    const a = await seen();
    expect(a.seen).toBe('one\n');
    expect(a.cacheDirInImage).toEqual([]);
    await writeFile(join(ctx, 'step.txt'), 'two\n');
    const b = await seen();
    expect(b.steps.find((s) => s.name.includes('RUN'))?.cached).toBe(false);
    expect(b.seen).toBe('one\ntwo\n');
    expect(b.cacheDirInImage).toEqual([]);
    const du = (await strataOk(['du', '--root', root, '-v'])).stdout;
    expect(du).toContain('/cache');
    await strataOk(['prune', '--root', root, '--filter', 'type=exec.cachemount']);
    expect(await readdir(join(root, 'cachemounts'))).toEqual([]);
    await writeFile(join(ctx, 'step.txt'), 'three\n');
    expect((await seen()).seen).toBe('three\n');
  });

  it('a cache mount with from= starts as a copy of that stage, keeps its writes, and a new base gives a new cache', async () => {
    const ctx = await tmp();
    const dockerfile = (seedText: string) =>
      `FROM busybox AS seed\nRUN mkdir -p /seed && echo ${seedText} > /seed/base.txt && chmod 750 /seed\n` +
      'FROM busybox\nCOPY step.txt /step.txt\n' +
      "RUN --mount=type=cache,target=/cache,from=seed,source=/seed sh -c 'cat /step.txt >> /cache/log; " +
      "stat -c %a /cache > /seen.txt; cat /cache/base.txt /cache/log >> /seen.txt'\n";
    const seen = async () => {
      const dir = join(await tmp(), 'rootfs');
      const r = await buildToDir(root, ctx, dir, ['--progress', 'plain']);
      const { readFile } = await import('node:fs/promises');
      return {
        steps: stepOutcomes(r.stderr),
        seen: await readFile(join(dir, 'seen.txt'), 'utf8'),
        cacheInImage: await readdir(join(dir, 'cache')).catch(() => []),
      };
    };
    await writeFile(join(ctx, 'Dockerfile'), dockerfile('seeded'));
    await writeFile(join(ctx, 'step.txt'), 'one\n');
    const a = await seen();
    expect(a.seen).toBe('750\nseeded\none\n');
    expect(a.cacheInImage).toEqual([]);
    await writeFile(join(ctx, 'step.txt'), 'two\n');
    const b = await seen();
    expect(b.steps.find((s) => s.name.includes('RUN --mount'))?.cached).toBe(false);
    expect(b.seen).toBe('750\nseeded\none\ntwo\n');
    // Another base (the seed stage changed): a cache of its own, seeded from the new base.
    await writeFile(join(ctx, 'Dockerfile'), dockerfile('reseeded'));
    expect((await seen()).seen).toBe('750\nreseeded\ntwo\n');
    const du = (await strataOk(['du', '--root', root, '-v'])).stdout;
    expect(du).toMatch(/\/cache:sha256:[0-9a-f]{64}:\/seed/);
  });

  it('a cache mount with from= names a directory that the stage lacks: a clear error', async () => {
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox AS seed\nFROM busybox\nRUN --mount=type=cache,target=/c,from=seed,source=/nope true\n',
    );
    const r = await strata(['build', '--root', root, '-q', ctx]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('run --mount=type=cache: from=stage 0 has no directory /nope');
  });

  /** A new context holding `dockerfile`, whose plain build must fail as bad input saying `message`. */
  async function refusedBuild(dockerfile: string, message: string): Promise<string> {
    const ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), dockerfile);
    const r = await strata(['build', '--root', root, '-q', ctx]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    return ctx;
  }

  it('RUN --mount=type=ssh: a socket of its own at the target, SSH_AUTH_SOCK, mode and owner; required needs --ssh', async () => {
    const agentDir = await tmp();
    const agentPath = join(agentDir, 'agent.sock');
    const agent = createServer((c) => c.end());
    await new Promise<void>((r) => agent.listen(agentPath, r));
    try {
      const ctx = await refusedBuild(
        'FROM busybox\n' +
          'RUN --mount=type=ssh,required=true ls -ln "$SSH_AUTH_SOCK" > /default && echo "$SSH_AUTH_SOCK" >> /default\n' +
          'RUN --mount=type=ssh,id=git,target=/agent,mode=0660,uid=1000,gid=1000 ls -ln /agent > /git\n' +
          'RUN --mount=type=ssh,id=absent ls /run/buildkit > /absent 2>&1 || echo none > /absent\n',
        'ssh agent "default" is required but was not forwarded (--ssh default=SOCKET)',
      );

      const out = join(await tmp(), 'fs');
      await buildToDir(root, ctx, out, ['--ssh', `default=${agentPath}`, '--ssh', `git=${agentPath}`]);
      const def = (await readFile(join(out, 'default'), 'utf8')).split('\n');
      expect(def[0]).toMatch(/^srw------- +1 0 +0 +0 .* \/run\/buildkit\/ssh_agent\.0$/);
      expect(def[1]).toBe('/run/buildkit/ssh_agent.0');
      expect(await readFile(join(out, 'git'), 'utf8')).toMatch(/^srw-rw---- +1 1000 +1000 +0 .* \/agent\n$/);
      // An optional mount of an agent not forwarded is left out.
      expect(await readFile(join(out, 'absent'), 'utf8')).toBe('none\n');
      // Nothing of the sockets is left in the image, not even their mount points.
      expect(existsSync(join(out, 'run/buildkit'))).toBe(false);
      expect(existsSync(join(out, 'agent'))).toBe(false);
    } finally {
      await new Promise<void>((r) => agent.close(() => r()));
    }
  });

  it('RUN --security=insecure needs --allow security.insecure, then runs unfiltered', async () => {
    const ctx = await refusedBuild(
      'FROM busybox\nRUN grep "^Seccomp:" /proc/self/status > /sandboxed\n' +
        'RUN --security=insecure grep "^Seccomp:" /proc/self/status > /insecure\n',
      'asks for --security=insecure: allow it with `strata build --allow security.insecure`',
    );
    const bad = await strata(['build', '--root', root, '--allow', 'network.host', '-q', ctx]);
    expect(bad.stderr).toContain('--allow "network.host": the one entitlement is security.insecure');

    const out = join(await tmp(), 'fs');
    await buildToDir(root, ctx, out, ['--allow', 'security.insecure']);
    expect((await readFile(join(out, 'sandboxed'), 'utf8')).trim()).toMatch(/^Seccomp:\s+2$/);
    expect((await readFile(join(out, 'insecure'), 'utf8')).trim()).toMatch(/^Seccomp:\s+0$/);
  });
});
