/**
 * What issue 15 changed, side by side with Docker's own build (Engine 20.10, BuildKit) of the
 * same Dockerfile from the same base: directories COPY and WORKDIR create (mode, owner), a
 * copied directory's contents keeping their attributes, COPY through a dangling symlink, a
 * layer for a RUN that changes nothing. The file tree a container sees, the config and the
 * number of layers must be identical. (Where docker 20.10's BuildKit predates what the Go
 * tests assert, such as ONBUILD of a stage or EXPOSE's history text, the ported suite in
 * buildkit-suite/ is the judge, not this file.)
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { strataOk } from '../helpers/cli.js';
import { buildAndLoad, docker, requireDocker, requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs('strata-i15-docker-');
const OURS = `i15-strata:${process.pid}`;
const THEIRS = `i15-docker:${process.pid}`;

const DOCKERFILE = `FROM busybox AS src
RUN mkdir -p /d/sub && echo hi > /d/sub/f && chown -R 100:200 /d && chmod 700 /d && chmod 640 /d/sub/f
FROM busybox
COPY --from=src /d /dest
COPY --from=src /d/sub /a/b/c/
COPY ctxdir /ctx/
RUN ln -s ../tmp/symlink-target /symlink
COPY foo /symlink/
USER 1234:5678
WORKDIR /work/inner
USER root
WORKDIR /tmp
RUN ls
EXPOSE 2375 5000 1234/udp
LABEL a=b
`;

/** What a container of `image` sees under the paths the Dockerfile touched. */
async function listing(image: string): Promise<string> {
  const script =
    'for f in $(find /dest /a /ctx /tmp/symlink-target /symlink /work | sort); do if [ -L "$f" ]; then echo "$f L $(readlink $f)"; elif [ -d "$f" ]; then echo "$f D $(stat -c "%a %u:%g" $f)"; else echo "$f F $(stat -c "%a %u:%g" $f) $(cat $f)"; fi; done';
  return (await docker(['run', '--rm', image, 'sh', '-c', script])).stdout;
}

interface Inspected {
  Config: Record<string, unknown>;
  RootFS: { Layers: string[] };
  Architecture: string;
  Os: string;
}

async function inspect(image: string): Promise<Inspected> {
  return JSON.parse((await docker(['image', 'inspect', image])).stdout)[0];
}

describe("issue 15's Dockerfile behaviour against docker build", () => {
  let ctx: string;
  beforeAll(async () => {
    requireRoot();
    requireDocker();
    const root = await tmp();
    await importBusybox(root);
    // Docker's build starts from the very same base image.
    const base = join(await tmp(), 'busybox.tar');
    await strataOk(['save', '--root', root, 'busybox:latest', '-o', base]);
    await docker(['load', '-i', base]);
    ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), DOCKERFILE);
    await writeFile(join(ctx, 'foo'), 'foo-contents');
    await mkdir(join(ctx, 'ctxdir'));
    await writeFile(join(ctx, 'ctxdir', 'inner'), 'inner');
    await chmod(join(ctx, 'ctxdir', 'inner'), 0o640);
    await chmod(join(ctx, 'ctxdir'), 0o700);
    await buildAndLoad(root, ctx, OURS, join(await tmp(), 'img.tar'));
    await docker(['build', '-q', '-t', THEIRS, ctx], { env: { DOCKER_BUILDKIT: '1' } });
  }, 300_000);

  afterAll(async () => {
    await docker(['rmi', '-f', OURS, THEIRS]).catch(() => {});
  });

  it('gives the same file tree: created directories 0755 root or USER, contents as copied', async () => {
    const ours = await listing(OURS);
    // What BuildKit's tests assert, spelled out, so a change on both sides is still caught.
    expect(ours).toContain('/dest D 755 0:0');
    expect(ours).toContain('/dest/sub D 755 100:200');
    expect(ours).toContain('/dest/sub/f F 640 100:200 hi');
    expect(ours).toContain('/ctx D 755 0:0');
    expect(ours).toContain('/tmp/symlink-target/foo F 644 0:0 foo-contents');
    expect(ours).toContain('/work/inner D 755 1234:5678');
    expect(ours).toBe(await listing(THEIRS));
  });

  it('gives the same config and the same number of layers (a RUN that changes nothing has one)', async () => {
    const [ours, theirs] = [await inspect(OURS), await inspect(THEIRS)];
    for (const k of ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'ExposedPorts', 'Labels', 'OnBuild'])
      expect(ours.Config[k], k).toEqual(theirs.Config[k]);
    expect([ours.Os, ours.Architecture]).toEqual([theirs.Os, theirs.Architecture]);
    expect(ours.RootFS.Layers.length).toBe(theirs.RootFS.Layers.length);
  });
});
