/**
 * What strata builds, Docker and the OCI tools accept: a FROM scratch image and a busybox
 * image built by strata are `docker load`ed and run, Docker's RootFS.Layers equal strata's
 * diffIDs, and skopeo/umoci accept the OCI archive. Also determinism across fresh stores.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { strataOk } from '../helpers/cli.js';
import {
  buildAndLoad,
  docker,
  requireDocker,
  requireRoot,
  requireTool,
  useTempDirs,
} from './helpers/index.js';

const tmp = useTempDirs();

async function imageId(root: string, name: string): Promise<string> {
  return (await strataOk(['inspect', '--root', root, '--format', '{{.Id}}', name])).stdout.trim();
}

describe('images strata builds load and run elsewhere', () => {
  let root: string;
  let ctx: string;
  beforeAll(async () => {
    requireRoot();
    requireDocker();
    root = await tmp();
    ctx = await tmp();
    await importBusybox(root);
    await writeFile(join(ctx, 'hello.txt'), 'hello from a strata scratch image\n');
    await mkdir(join(ctx, 'bin'));
    execFileSync('cp', ['/usr/bin/busybox', join(ctx, 'bin/busybox')]);
    await writeFile(
      join(ctx, 'Dockerfile.scratch'),
      'FROM scratch\nCOPY bin/busybox /bin/busybox\nCOPY hello.txt /\nENV GREETING=hi\nCMD ["/bin/busybox", "cat", "/hello.txt"]\n',
    );
    await writeFile(
      join(ctx, 'Dockerfile.busybox'),
      'FROM busybox\nWORKDIR /srv\nCOPY hello.txt .\nRUN echo "built by runc" > made.txt\nCMD ["sh", "-c", "cat /srv/hello.txt /srv/made.txt"]\n',
    );
  });

  for (const variant of ['scratch', 'busybox'] as const) {
    it(`docker loads and runs the ${variant} image, with strata's diffIDs`, async () => {
      const tag = `strata-e2e-${variant}:latest`;
      const out = join(await tmp(), 'image.tar');
      // docker() rejects on a non-zero exit, with the command's stderr.
      await buildAndLoad(root, ctx, tag, out, ['-f', join(ctx, `Dockerfile.${variant}`)]);
      const run = await docker(['run', '--rm', tag]);
      expect(run.stdout).toContain('hello from a strata scratch image');
      if (variant === 'busybox') expect(run.stdout).toContain('built by runc');
      const ours = JSON.parse(
        (await strataOk(['inspect', '--root', root, '--format', '{{json .RootFS.Layers}}', tag])).stdout,
      );
      const theirs = JSON.parse(
        (await docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', tag])).stdout,
      );
      expect(theirs).toEqual(ours);
      // Same config bytes, same image ID in both.
      const dockerId = (await docker(['image', 'inspect', '--format', '{{.Id}}', tag])).stdout.trim();
      expect(dockerId).toBe(await imageId(root, tag));
      await docker(['rmi', '-f', tag]);
    });
  }

  it('skopeo inspects and copies the OCI archive, and umoci validates the layout', async () => {
    requireTool('skopeo');
    requireTool('umoci');
    const dir = await tmp();
    const out = join(dir, 'image.oci.tar');
    await strataOk([
      'build',
      '--root',
      root,
      '-q',
      '-f',
      join(ctx, 'Dockerfile.busybox'),
      '-t',
      'oci-check:1',
      '--output',
      `type=oci,dest=${out}`,
      ctx,
    ]);
    const inspect = JSON.parse(
      execFileSync('skopeo', ['inspect', `oci-archive:${out}`], { encoding: 'utf8' }),
    );
    const ours = JSON.parse(
      (await strataOk(['inspect', '--root', root, '--format', '{{json .RootFS.Layers}}', 'oci-check:1']))
        .stdout,
    );
    expect(inspect.Layers.length).toBe(ours.length);
    execFileSync('skopeo', ['copy', `oci-archive:${out}`, `oci:${join(dir, 'layout')}:copied`]);
    execFileSync('umoci', ['unpack', '--image', `${join(dir, 'layout')}:copied`, join(dir, 'bundle')]);
    const made = await readFile(join(dir, 'bundle', 'rootfs', 'srv', 'made.txt'), 'utf8');
    expect(made).toBe('built by runc\n');
  });
});

describe('determinism', () => {
  it('the same context in two fresh stores gives the same image ID, with SOURCE_DATE_EPOCH and without (COPY/metadata only)', async () => {
    requireRoot();
    const ctx = await tmp();
    await writeFile(join(ctx, 'a.txt'), 'alpha\n');
    await mkdir(join(ctx, 'dir'));
    await writeFile(join(ctx, 'dir', 'b.txt'), 'beta\n');
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nCOPY a.txt /a.txt\nCOPY dir /opt/dir\nLABEL x=y\nENV A=1\n',
    );
    const ids: string[] = [];
    for (const env of [{}, {}, { SOURCE_DATE_EPOCH: '1700000000' }, { SOURCE_DATE_EPOCH: '1700000000' }]) {
      const root = await tmp();
      await importBusybox(root);
      const r = await strataOk(['build', '--root', root, '-q', ctx], { env });
      ids.push(r.stdout.trim());
    }
    expect(ids[0]).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[3]).toBe(ids[2]);
  });

  it('with SOURCE_DATE_EPOCH and rewrite-timestamp=true a RUN image is byte for byte the same from two fresh stores', async () => {
    requireRoot();
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nRUN mkdir -p /out && echo same > /out/file && ln -s file /out/link\n',
    );
    const archives: string[] = [];
    for (let i = 0; i < 2; i++) {
      const root = await tmp();
      await importBusybox(root);
      const out = join(root, 'det.tar');
      // As BuildKit: the epoch sets created times; the layers' file times are clamped to it
      // only by the exporter's rewrite-timestamp (the stored layer keeps the RUN's times).
      await strataOk(
        [
          'build',
          '--root',
          root,
          '-q',
          '-t',
          'det:1',
          '--output',
          `type=oci,dest=${out},rewrite-timestamp=true`,
          ctx,
        ],
        { env: { SOURCE_DATE_EPOCH: '1700000000' } },
      );
      archives.push(
        createHash('sha256')
          .update(await readFile(out))
          .digest('hex'),
      );
      // Every file time in the exported layers is at most the epoch.
      const listing = execFileSync('sh', [
        '-c',
        `mkdir -p ${root}/x && tar -xf ${out} -C ${root}/x && for b in ${root}/x/blobs/sha256/*; do tar -tvf $b 2>/dev/null; done; true`,
      ]).toString();
      expect(listing).toContain('out/file');
      expect(listing).not.toMatch(/ 202[4-9]-/);
    }
    expect(archives[1]).toBe(archives[0]);
  });
});
