/**
 * importRootfs (`strata import`): a root filesystem tar (plain or gzip) becomes a one-layer
 * image, like `docker import`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Store } from '../../store/index.js';
import { addPlatformImage } from '../image/platform-image.js';
import { normalizeRef } from '../image/reference.js';
import { NotFoundError } from '../oci/errors.js';
import { canonicalPlatform, hostPlatform } from '../oci/platform.js';
import type { ImageConfig } from '../oci/types.js';
import { commitStaged, discardStaged, stageLayer } from './import-layers.js';
import type { LoadedImage } from './load-archive.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ImportRootfsOptions {
  /** RFC 3339 creation time for the config; defaults to now (whole seconds). */
  created?: string;
  /**
   * The platform the root filesystem is for (`linux/arm64`); default the host's. The name
   * keeps the images it has of other platforms (a multi-platform name, as pull makes).
   */
  platform?: string;
}

/**
 * Applies `tarFile` as the only layer (through applyLayer, so hostile tars are refused),
 * commits it, writes a config (the host's platform, as docker import does, unless `platform`
 * says otherwise) with the default PATH and one history entry
 * `strata import`, and points `name` (normalised) at it. Idempotent for the same tar and time.
 */
export async function importRootfs(
  store: Store,
  tarFile: string,
  name: string,
  opts: ImportRootfsOptions = {},
): Promise<LoadedImage> {
  const ref = normalizeRef(name);
  await stat(tarFile).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new NotFoundError(`import ${tarFile}: no such file`, { cause: err }) : err;
  });
  const source = { open: () => createReadStream(tarFile), what: tarFile };
  const staged = await stageLayer(store, source, undefined, tarFile);
  const diffId = staged.diffId;
  try {
    await commitStaged(store, staged, undefined);
  } finally {
    await discardStaged(staged);
  }
  const created = opts.created ?? `${new Date().toISOString().slice(0, 19)}Z`;
  // A root filesystem says nothing of its platform: like docker import, take the host's unless
  // --platform names one (a build for another platform refuses a base that is not for it).
  const [os, architecture, variant] = canonicalPlatform(opts.platform ?? hostPlatform()).split('/');
  const config: ImageConfig = {
    created,
    architecture,
    os,
    ...(variant !== undefined ? { variant } : {}),
    config: { Env: [DEFAULT_PATH] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: 'strata import' }],
  };
  const { digest } = await store.putBlob(JSON.stringify(config));
  if (opts.platform === undefined) await store.setRef(ref, { config: digest });
  else await addPlatformImage(store, ref, digest);
  return { config: digest, tags: [ref] };
}
