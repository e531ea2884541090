/**
 * Builds an image in a store by hand, the way the executor will: each layer is a staging dir
 * filled by a callback, hashed by writeLayerTar, committed under its chainID; then a config
 * blob and (optionally) a tag.
 */
import { writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { normalizeRef } from '../../../core/image/reference.js';
import { chainId, type Digest } from '../../../core/oci/digest.js';
import type { ContainerConfig, ImageConfig } from '../../../core/oci/types.js';
import type { Store } from '../../../store/index.js';

export interface HandMadeImage {
  config: Digest;
  diffIds: Digest[];
  chainIds: Digest[];
  configBytes: Buffer;
}

export async function makeStoreImage(
  store: Store,
  layers: ((dir: string) => Promise<void>)[],
  opts: { config?: ContainerConfig; tag?: string } = {},
): Promise<HandMadeImage> {
  const diffIds: Digest[] = [];
  const chainIds: Digest[] = [];
  let parent: Digest | undefined;
  for (const fill of layers) {
    const staging = await store.makeStagingDir();
    await fill(staging);
    const { diffId, size } = await writeLayerTar(staging, null);
    const id = chainId(parent, diffId);
    await store.commitLayer(staging, { chainId: id, diffId, size, ...(parent ? { parent } : {}) });
    diffIds.push(diffId);
    chainIds.push(id);
    parent = id;
  }
  const config: ImageConfig = {
    created: '2024-01-01T00:00:00Z',
    architecture: 'amd64',
    os: 'linux',
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ...opts.config,
    },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `test layer ${i}` })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const { digest } = await store.putBlob(configBytes);
  if (opts.tag !== undefined) await store.setRef(normalizeRef(opts.tag), { config: digest });
  return { config: digest, diffIds, chainIds, configBytes };
}
