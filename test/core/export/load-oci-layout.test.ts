/**
 * `--build-context NAME=oci-layout://DIR` reads a directory someone else wrote: its blobs are
 * opened without following symlinks, must be regular files of exactly the size their
 * descriptor declares, and are verified as they stream (issue 13, defect 6).
 */
import { appendFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOciDir } from '../../../core/export/export-oci-dir.js';
import { LayoutDir } from '../../../core/export/layout-dir.js';
import { blobPath } from '../../../core/export/layout-entries.js';
import { loadLayoutImage } from '../../../core/export/load-oci-layout.js';
import { type Digest, sha256 } from '../../../core/oci/digest.js';
import type { Index, Manifest } from '../../../core/oci/types.js';
import { Store } from '../../../store/index.js';
import { type HandMadeImage, makeStoreImage } from '../../e2e/helpers/store-image.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';

const tempDir = useTempDirs();
let src: Store;
let image: HandMadeImage;

beforeAll(async () => {
  src = await Store.open(await tempDir());
  image = await makeStoreImage(src, [async (d) => writeFile(join(d, 'hello.txt'), 'hello\n')]);
});

/** A fresh layout of the image, and its manifest (to find the blobs to tamper with). */
async function layout(): Promise<{ dir: string; manifest: Manifest; manifestDigest: Digest }> {
  const dir = join(await tempDir(), 'layout');
  await exportOciDir(src, { config: image.config }, dir, { tags: ['example.com/img:v1'] });
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Index;
  const manifestDigest = index.manifests[0].digest;
  const manifest = JSON.parse(await readFile(join(dir, blobPath(manifestDigest)), 'utf8')) as Manifest;
  return { dir, manifest, manifestDigest };
}

async function load(dir: string): Promise<Digest> {
  const dst = await Store.open(await tempDir());
  return loadLayoutImage(dst, await LayoutDir.open(dir), { tag: 'v1' }, 'ctx');
}

async function replaceWithSymlink(file: string, target: string): Promise<void> {
  await rm(file);
  await symlink(target, file);
}

describe('loading an image out of an OCI layout directory', () => {
  it('loads an untampered layout', async () => {
    expect(await load((await layout()).dir)).toBe(image.config);
  });

  it('refuses a layer blob that is a symlink to /dev/zero, without reading it', {
    timeout: 10_000,
  }, async () => {
    const { dir, manifest } = await layout();
    await replaceWithSymlink(join(dir, blobPath(manifest.layers[0].digest)), '/dev/zero');
    await expect(load(dir)).rejects.toThrow(/is a symlink; it is not followed/);
  });

  it('refuses a config blob that is a symlink to a host file', async () => {
    const { dir, manifest } = await layout();
    const host = join(await tempDir(), 'secret');
    await writeFile(host, 'host secret');
    await replaceWithSymlink(join(dir, blobPath(manifest.config.digest)), host);
    await expect(load(dir)).rejects.toThrow(/is a symlink/);
  });

  it('refuses a layer blob larger than its descriptor before reading it', async () => {
    const { dir, manifest } = await layout();
    const layer = manifest.layers[0];
    await appendFile(join(dir, blobPath(layer.digest)), Buffer.alloc(1 << 20));
    await expect(load(dir)).rejects.toThrow(
      new RegExp(`${layer.size + (1 << 20)} bytes, its descriptor says ${layer.size}`),
    );
  });

  it('refuses a blob that is a directory, and index.json as a symlink', async () => {
    const { dir, manifest } = await layout();
    const layer = join(dir, blobPath(manifest.layers[0].digest));
    await rm(layer);
    await mkdir(layer);
    await expect(load(dir)).rejects.toThrow(/not a regular file/);
    const other = await layout();
    await replaceWithSymlink(join(other.dir, 'index.json'), '/dev/zero');
    await expect(load(other.dir)).rejects.toThrow(/is a symlink/);
  });

  it('refuses a manifest whose layer size is negative, and one whose bytes do not match', async () => {
    const { dir, manifest, manifestDigest } = await layout();
    const bad = { ...manifest, layers: [{ ...manifest.layers[0], size: -1 }] };
    const badBytes = Buffer.from(JSON.stringify(bad));
    const badDigest = sha256(badBytes);
    await writeFile(join(dir, blobPath(badDigest)), badBytes);
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Index;
    index.manifests[0] = { ...index.manifests[0], digest: badDigest, size: badBytes.length };
    await writeFile(join(dir, 'index.json'), JSON.stringify(index));
    await expect(load(dir)).rejects.toThrow(/bad size -1/);
    // Same size, other bytes: caught by the digest at the end of the stream.
    const file = join(dir, blobPath(manifestDigest));
    const bytes = await readFile(file);
    bytes[bytes.length - 2] ^= 1;
    await writeFile(file, bytes);
    index.manifests[0] = { ...index.manifests[0], digest: manifestDigest, size: bytes.length };
    await writeFile(join(dir, 'index.json'), JSON.stringify(index));
    await expect(load(dir)).rejects.toThrow(/content is sha256:.*expected/);
  });
});

describe('exporting into an existing OCI layout directory', () => {
  it('does not read an index.json that is a symlink to /dev/zero', { timeout: 10_000 }, async () => {
    const dir = join(await tempDir(), 'layout');
    await mkdir(dir);
    await symlink('/dev/zero', join(dir, 'index.json'));
    await expect(
      exportOciDir(src, { config: image.config }, dir, { tags: ['example.com/img:v1'] }),
    ).rejects.toThrow(/is a symlink/);
  });
});
