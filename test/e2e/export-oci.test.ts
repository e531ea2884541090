/**
 * Our OCI outputs against the OCI tools: skopeo reads the oci archive and copies it into an
 * OCI dir, umoci unpacks both that dir and the one exportOciDir writes.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOciDir } from '../../core/export/export-oci-dir.js';
import { exportRootfs } from '../../core/export/export-rootfs.js';
import { writeArchiveFile } from '../../core/export/write-output.js';
import { Store } from '../../store/index.js';
import {
  type HandMadeImage,
  makeBusyboxRootfs,
  makeStoreImage,
  requireRoot,
  requireTool,
  useTempDirs,
} from './helpers/index.js';

const exec = promisify(execFile);
const tempDir = useTempDirs('strata-e2e-oci-');

async function tool(bin: string, args: string[]): Promise<string> {
  return (await exec(bin, args, { maxBuffer: 64 << 20 })).stdout;
}

describe('oci outputs and skopeo/umoci', () => {
  let store: Store;
  let image: HandMadeImage;
  let skopeo: string;
  let umoci: string;

  beforeAll(async () => {
    requireRoot();
    skopeo = requireTool('skopeo');
    umoci = requireTool('umoci');
    store = await Store.open(await tempDir());
    image = await makeStoreImage(
      store,
      [
        makeBusyboxRootfs,
        async (d) => {
          // A deletion: the second layer removes a file of the first.
          const { mkdir } = await import('node:fs/promises');
          const { mknod } = await import('../../core/fs/overlay-form.js');
          await mkdir(join(d, 'etc'));
          await mknod(join(d, 'etc/group'), 'c', 0, 0, 0);
        },
      ],
      { config: { Cmd: ['/bin/busybox', 'echo', 'hello from strata'] } },
    );
  });

  it('skopeo inspects the oci archive and copies it to an OCI dir that umoci unpacks', async () => {
    const dir = await tempDir();
    const file = join(dir, 'image.oci.tar');
    await writeArchiveFile(store, { config: image.config }, file, {
      format: 'oci',
      tags: ['strata-e2e/oci:1'],
    });

    const info = JSON.parse(await tool(skopeo, ['inspect', `oci-archive:${file}`]));
    expect(info.Architecture).toBe('amd64');
    expect(info.Os).toBe('linux');
    expect(info.Layers).toHaveLength(2);
    const config = JSON.parse(await tool(skopeo, ['inspect', '--config', '--raw', `oci-archive:${file}`]));
    expect(config.rootfs.diff_ids).toEqual(image.diffIds);
    const manifest = JSON.parse(await tool(skopeo, ['inspect', '--raw', `oci-archive:${file}`]));
    expect(manifest.config.digest).toBe(image.config);
    expect(manifest.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.layer.v1.tar+gzip',
    ]);

    const layout = join(dir, 'layout');
    await tool(skopeo, ['copy', `oci-archive:${file}`, `oci:${layout}:copied`]);
    const bundle = join(dir, 'bundle');
    await tool(umoci, ['unpack', '--image', `${layout}:copied`, bundle]);
    const busybox = await readFile(join(bundle, 'rootfs/bin/busybox'));
    expect(busybox.equals(await readFile('/usr/bin/busybox'))).toBe(true);
    // The whiteout in layer two removed etc/group; etc/passwd from layer one is still there.
    expect((await readdir(join(bundle, 'rootfs/etc'))).sort()).toEqual(['passwd']);
    const runtime = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
    expect(runtime.process.args).toEqual(['/bin/busybox', 'echo', 'hello from strata']);
  });

  it('umoci reads the layout exportOciDir writes, and a second image is added beside the first', async () => {
    const layout = join(await tempDir(), 'layout');
    await exportOciDir(store, { config: image.config }, layout, { tags: ['strata-e2e/oci:first'] });
    await exportOciDir(store, { config: image.config }, layout, {
      tags: ['strata-e2e/oci:second'],
      compression: 'none',
    });
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    expect(
      index.manifests.map(
        (m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name'],
      ),
    ).toEqual(['first', 'second']);
    const stat = JSON.parse(await tool(umoci, ['stat', '--json', '--image', `${layout}:second`]));
    expect(stat.history).toHaveLength(2);
    const bundle = join(await tempDir(), 'bundle');
    await tool(umoci, ['unpack', '--image', `${layout}:first`, bundle]);
    expect(await readFile(join(bundle, 'rootfs/etc/passwd'), 'utf8')).toContain('app:x:1000:1000');
    // skopeo accepts the directory as a source too.
    const info = JSON.parse(await tool(skopeo, ['inspect', `oci:${layout}:second`]));
    expect(info.Layers).toEqual(image.diffIds);
  });

  it('exportRootfs flattens the layers with whiteouts applied', async () => {
    const out = join(await tempDir(), 'rootfs');
    await exportRootfs(store, { config: image.config }, out);
    expect((await readdir(join(out, 'etc'))).sort()).toEqual(['passwd']);
    expect((await readFile(join(out, 'bin/busybox'))).equals(await readFile('/usr/bin/busybox'))).toBe(true);
    const { readlink } = await import('node:fs/promises');
    expect(await readlink(join(out, 'bin/sh'))).toBe('/bin/busybox');
  });
});
