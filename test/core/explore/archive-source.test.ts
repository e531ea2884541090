/**
 * The file sources read untrusted input: an OCI layout whose index.json is a symlink is
 * refused (never followed), a swapped layer blob is refused, and a layer whose bytes are not
 * what the config's diffID says fails the read instead of showing wrong files.
 */
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exploreSpec } from '../../../core/explore/index.js';
import { exportOciDir } from '../../../core/export/export-oci-dir.js';
import { sha256 } from '../../../core/oci/digest.js';
import { DigestMismatchError, InvalidInputError } from '../../../core/oci/errors.js';
import type { ImageConfig, Index, Manifest } from '../../../core/oci/types.js';
import { Store } from '../../../store/index.js';
import { makeStoreImage } from '../../e2e/helpers/store-image.js';

let dir: string;
let layout: string;
const noStore = async (): Promise<Store> => {
  throw new Error('a file source needs no store');
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-explore-src-'));
  const store = await Store.open(join(dir, 'root'));
  const img = await makeStoreImage(store, [
    async (d) => writeFile(join(d, 'hello.txt'), 'hello\n'),
    async (d) => writeFile(join(d, 'more.txt'), 'more\n'),
  ]);
  layout = join(dir, 'layout');
  await exportOciDir(store, { config: img.config }, layout, { tags: ['i17/src:1'] });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('file image sources', () => {
  it('reads an OCI layout in place', async () => {
    const m = await exploreSpec(`oci-layout:${layout}`, { cwd: dir, store: noStore });
    expect(m.kind).toBe('oci-layout');
    expect([...m.files.live.keys()].sort()).toEqual(['hello.txt', 'more.txt']);
    expect(m.layers.map((l) => l.instruction)).toEqual(['test layer 0', 'test layer 1']);
  });

  it('refuses an index.json that is a symlink', async () => {
    const evil = join(dir, 'evil');
    await rm(evil, { recursive: true, force: true });
    await cp(layout, evil, { recursive: true });
    await rm(join(evil, 'index.json'));
    await symlink(join(layout, 'index.json'), join(evil, 'index.json'));
    const err = await exploreSpec(`oci-layout:${evil}`, { cwd: dir, store: noStore }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(String(err.message)).toMatch(/is a symlink; it is not followed/);
  });

  it('a swapped layer blob is refused before it is read', async () => {
    const bad = join(dir, 'swapped');
    await cp(layout, bad, { recursive: true });
    const manifest = await readManifest(bad);
    await writeFile(blob(bad, manifest.layers[1].digest), gzipSync(Buffer.alloc(1024)));
    const err = await exploreSpec(`oci-layout:${bad}`, { cwd: dir, store: noStore }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(String(err.message)).toMatch(/bytes, its descriptor says/);
  });

  it("a config whose diffID is not the layer's content fails the read", async () => {
    const bad = join(dir, 'lying-config');
    await cp(layout, bad, { recursive: true });
    const manifest = await readManifest(bad);
    // A consistent chain of digests (index -> manifest -> config) around a wrong diffID.
    const config = JSON.parse(await readFile(blob(bad, manifest.config.digest), 'utf8')) as ImageConfig;
    config.rootfs.diff_ids[1] = sha256('not this layer');
    const configBytes = Buffer.from(JSON.stringify(config));
    await writeFile(blob(bad, sha256(configBytes)), configBytes);
    manifest.config = { ...manifest.config, digest: sha256(configBytes), size: configBytes.length };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    await writeFile(blob(bad, sha256(manifestBytes)), manifestBytes);
    const index = JSON.parse(await readFile(join(bad, 'index.json'), 'utf8')) as Index;
    index.manifests[0] = { ...index.manifests[0], digest: sha256(manifestBytes), size: manifestBytes.length };
    await writeFile(join(bad, 'index.json'), JSON.stringify(index));
    const err = await exploreSpec(`oci-layout:${bad}`, { cwd: dir, store: noStore }).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(String(err.message)).toMatch(
      /layer 2: uncompressed content is sha256:[0-9a-f]{64}, the image config says/,
    );
  });
});

const blob = (layoutDir: string, d: string) => join(layoutDir, 'blobs/sha256', d.slice(7));

async function readManifest(layoutDir: string): Promise<Manifest> {
  const index = JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8')) as Index;
  return JSON.parse(await readFile(blob(layoutDir, index.manifests[0].digest), 'utf8')) as Manifest;
}
