/**
 * The file sources read untrusted input: an OCI layout whose index.json is a symlink is
 * refused (never followed), and a layer whose bytes are not what the config's diffID says
 * fails the read with a DigestMismatchError instead of showing wrong files.
 */
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exploreSpec } from '../../../core/explore/index.js';
import { exportOciDir } from '../../../core/export/export-oci-dir.js';
import { DigestMismatchError, InvalidInputError } from '../../../core/oci/errors.js';
import type { Index, Manifest } from '../../../core/oci/types.js';
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

  it('a layer whose content is not its diffID fails the read', async () => {
    const bad = join(dir, 'bad');
    await cp(layout, bad, { recursive: true });
    const index = JSON.parse(await readFile(join(bad, 'index.json'), 'utf8')) as Index;
    const manifest = JSON.parse(
      await readFile(join(bad, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'),
    ) as Manifest;
    // Swap the top layer's blob for an empty tar: same name, other content.
    const top = join(bad, 'blobs/sha256', manifest.layers[1].digest.slice(7));
    await writeFile(top, gzipSync(Buffer.alloc(1024)));
    const err = await exploreSpec(`oci-layout:${bad}`, { cwd: dir, store: noStore }).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(String(err.message)).toMatch(
      /layer 2: uncompressed content is sha256:[0-9a-f]{64}, the image config says/,
    );
    expect(await readdir(bad)).toContain('index.json');
  });
});
