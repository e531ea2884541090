/**
 * Our archives against a real Docker 20.10 engine: an image made in a strata store is
 * `docker load`ed and run; a `docker save` comes back into the store unchanged.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArchive } from '../../core/export/load-archive.js';
import { writeArchiveFile } from '../../core/export/write-output.js';
import type { ImageConfig } from '../../core/oci/types.js';
import { Store } from '../../store/index.js';
import {
  docker,
  type HandMadeImage,
  makeBusyboxRootfs,
  makeStoreImage,
  requireDocker,
  requireRoot,
  useTempDirs,
} from './helpers/index.js';

const tempDir = useTempDirs('strata-e2e-export-');
const REPO = 'strata-e2e/export';
const TAG = `${REPO}:${process.pid}-${Date.now()}`;
const loadedTags: string[] = [];

describe('docker format archive and Docker 20.10', () => {
  let store: Store;
  let image: HandMadeImage;

  beforeAll(async () => {
    requireRoot();
    requireDocker();
    store = await Store.open(await tempDir());
    image = await makeStoreImage(
      store,
      [
        makeBusyboxRootfs,
        async (d) => {
          const { mkdir, writeFile } = await import('node:fs/promises');
          await mkdir(join(d, 'etc'));
          await writeFile(join(d, 'etc/motd'), 'from the second layer\n');
        },
      ],
      { config: { Cmd: ['/bin/busybox', 'echo', 'hello from strata'] }, tag: TAG },
    );
  });

  afterAll(async () => {
    for (const t of loadedTags) await docker(['rmi', '-f', t]).catch(() => {});
  });

  it('docker load accepts the archive, and the image runs with our diffIDs and ID', async () => {
    const file = join(await tempDir(), 'image.tar');
    await writeArchiveFile(store, { config: image.config }, file, { format: 'docker', tags: [TAG] });
    const { stdout } = await docker(['load', '-i', file]);
    loadedTags.push(TAG);
    expect(stdout).toContain(`Loaded image: ${TAG}`);

    const run = await docker(['run', '--rm', '--network', 'none', TAG]);
    expect(run.stdout).toBe('hello from strata\n');
    const motd = await docker(['run', '--rm', '--network', 'none', TAG, '/bin/cat', '/etc/motd']);
    expect(motd.stdout).toBe('from the second layer\n');

    const inspect = JSON.parse((await docker(['image', 'inspect', TAG])).stdout)[0];
    expect(inspect.RootFS.Layers).toEqual(image.diffIds);
    expect(inspect.Id).toBe(image.config);
    expect(inspect.Config.Cmd).toEqual(['/bin/busybox', 'echo', 'hello from strata']);
  });

  it('docker load also accepts gzip layer blobs', async () => {
    const tag = `${TAG}-gz`;
    const file = join(await tempDir(), 'image-gz.tar');
    await writeArchiveFile(store, { config: image.config }, file, {
      format: 'docker',
      tags: [tag],
      compression: 'gzip',
    });
    await docker(['load', '-i', file]);
    loadedTags.push(tag);
    expect((await docker(['run', '--rm', '--network', 'none', tag])).stdout).toBe('hello from strata\n');
  });

  it('a docker save of the loaded image loads back with the same config digest and diffIDs', async () => {
    const file = join(await tempDir(), 'saved.tar');
    await docker(['save', '-o', file, TAG]);
    const dst = await Store.open(await tempDir());
    const loaded = await loadArchive(dst, file);
    expect(loaded).toEqual([{ config: image.config, tags: [`docker.io/${TAG}`] }]);
    expect((await dst.readBlob(image.config)).equals(image.configBytes)).toBe(true);
    for (const [i, c] of image.chainIds.entries()) {
      expect((await dst.getLayer(c))?.diffId).toBe(image.diffIds[i]);
    }
    const busybox = await readFile(join(dst.diffPath(image.chainIds[0]), 'bin/busybox'));
    expect(busybox.equals(await readFile('/usr/bin/busybox'))).toBe(true);
  });

  it('an image docker imported from a GNU tar: strata load then save gives docker its layer byte for byte', async () => {
    const dir = await tempDir();
    await makeBusyboxRootfs(join(dir, 'rootfs'));
    const rootfs = join(dir, 'rootfs.tar');
    execFileSync('tar', ['-cf', rootfs, '-C', join(dir, 'rootfs'), '.']);
    const tag = `${TAG}-gnu`;
    await docker(['import', rootfs, tag]);
    loadedTags.push(tag);
    const saved = join(dir, 'docker-saved.tar');
    await docker(['save', '-o', saved, tag]);
    const dst = await Store.open(await tempDir());
    const [img] = await loadArchive(dst, saved);
    const diffId = (await dst.readJsonBlob<ImageConfig>(img.config)).rootfs.diff_ids[0];
    const rec = await dst.getLayer(diffId);
    expect(rec?.tarSplit).toBeDefined();
    expect(await dst.hasBlob(diffId)).toBe(false);

    const again = join(dir, 'strata-saved.tar');
    await writeArchiveFile(dst, { config: img.config }, again, { format: 'docker', tags: [tag] });
    const layerOf = (archive: string) => {
      const [m] = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json']).toString());
      return execFileSync('tar', ['-xOf', archive, m.Layers[0]], { maxBuffer: 64 << 20 });
    };
    expect(layerOf(again).equals(layerOf(saved))).toBe(true);
    await docker(['rmi', '-f', tag]);
    await docker(['load', '-i', again]);
    const run = await docker(['run', '--rm', '--network', 'none', tag, '/bin/busybox', 'echo', 'ok']);
    expect(run.stdout).toBe('ok\n');
  });
});
