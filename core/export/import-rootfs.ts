/**
 * importRootfs (`strata import`): a root filesystem tar (plain or gzip) becomes a one-layer
 * image, like `docker import`.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Store } from '../../store/index.js';
import { applyLayer } from '../diff/apply-layer.js';
import { normalizeRef } from '../image/reference.js';
import type { Digest } from '../oci/digest.js';
import { NotFoundError } from '../oci/errors.js';
import type { ImageConfig } from '../oci/types.js';
import type { LoadedImage } from './load-archive.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ImportRootfsOptions {
  /** RFC 3339 creation time for the config; defaults to now (whole seconds). */
  created?: string;
}

/**
 * Applies `tarFile` as the only layer (through applyLayer, so hostile tars are refused),
 * commits it, writes a linux/amd64 config with the default PATH and one history entry
 * `strata import`, and points `name` (normalised) at it. Idempotent for the same tar and time.
 */
export async function importRootfs(
  store: Store,
  tarFile: string,
  name: string,
  opts: ImportRootfsOptions = {},
): Promise<LoadedImage> {
  const ref = normalizeRef(name);
  const staging = await store.makeStagingDir();
  let diffId: Digest;
  try {
    const input = createReadStream(tarFile);
    const opened = new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', reject);
    });
    await opened.catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new NotFoundError(`import ${tarFile}: no such file`, { cause: err });
      throw err;
    });
    const applied = await applyLayer(staging, input);
    diffId = applied.diffId;
    await store.commitLayer(staging, { chainId: diffId, diffId, size: applied.size });
  } finally {
    await rm(dirname(staging), { recursive: true, force: true });
  }
  const created = opts.created ?? `${new Date().toISOString().slice(0, 19)}Z`;
  const config: ImageConfig = {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: { Env: [DEFAULT_PATH] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: 'strata import' }],
  };
  const { digest } = await store.putBlob(JSON.stringify(config));
  await store.setRef(ref, { config: digest });
  return { config: digest, tags: [ref] };
}
