/** Multi-platform names in the store, and base-image resolution per platform. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveImage } from '../../../core/exec/base-image.js';
import { addPlatformImage, selectRefImage } from '../../../core/image/platform-image.js';
import type { Digest } from '../../../core/oci/digest.js';
import { NotFoundError } from '../../../core/oci/errors.js';
import { Store } from '../../../store/index.js';

async function image(store: Store, architecture: string, variant?: string): Promise<Digest> {
  const config = {
    os: 'linux',
    architecture,
    ...(variant ? { variant } : {}),
    rootfs: { type: 'layers', diff_ids: [] },
  };
  return (await store.putBlob(JSON.stringify(config))).digest;
}

async function newStore(): Promise<Store> {
  return Store.open(await mkdtemp(join(tmpdir(), 'strata-plat-')));
}

const NAME = 'docker.io/library/base:1';
// No registry answers here: a lookup the store cannot satisfy fails fast.
const offline = {
  env: { ...process.env, HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' },
};

describe('multi-platform names', () => {
  it('adding a platform keeps the others, and the host image stays the plain one', async () => {
    const store = await newStore();
    const amd = await image(store, 'amd64');
    const arm = await image(store, 'arm64', 'v8');
    expect(await addPlatformImage(store, NAME, arm)).toEqual(['linux/arm64']);
    expect(await store.getRef(NAME)).toEqual({ config: arm });
    expect(await addPlatformImage(store, NAME, amd)).toEqual(['linux/arm64', 'linux/amd64']);
    expect(await store.getRef(NAME)).toEqual({
      config: amd,
      platforms: { 'linux/arm64': arm, 'linux/amd64': amd },
    });
    const target = (await store.getRef(NAME))!;
    expect((await selectRefImage(store, target, 'linux/arm64/v8')).id).toBe(arm);
    expect((await selectRefImage(store, target, 'linux/amd64')).id).toBe(amd);
    expect(await selectRefImage(store, target, 'linux/s390x')).toEqual({
      id: undefined,
      have: ['linux/arm64', 'linux/amd64'],
    });
    // Replacing one platform's image leaves the other alone.
    const arm2 = await image(store, 'arm64');
    await addPlatformImage(store, NAME, arm2);
    expect((await store.getRef(NAME))?.platforms).toEqual({ 'linux/arm64': arm2, 'linux/amd64': amd });
  });

  it('a base resolves to its image for the platform, and a missing platform is an error naming what is there', async () => {
    const store = await newStore();
    const amd = await image(store, 'amd64');
    await store.setRef(NAME, { config: amd });
    expect((await resolveImage(store, 'base:1', { platform: 'linux/amd64', ...offline })).id).toBe(amd);
    const err = await resolveImage(store, 'base:1', { platform: 'linux/arm64', ...offline }).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toMatch(/holds docker\.io\/library\/base:1 for linux\/amd64 only/);
    expect(err.message).toMatch(/strata pull --platform linux\/arm64 base:1/);
    const arm = await image(store, 'arm64');
    await addPlatformImage(store, NAME, arm);
    expect((await resolveImage(store, 'base:1', { platform: 'linux/arm64', ...offline })).id).toBe(arm);
    // An image ID of another platform is refused too.
    await expect(resolveImage(store, arm, { platform: 'linux/amd64' })).rejects.toThrow(
      /is a linux\/arm64 image, the stage builds for linux\/amd64/,
    );
  });
});
