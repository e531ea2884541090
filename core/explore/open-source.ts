/**
 * Names an image to explore and opens it: `docker-archive:FILE` (a `docker save` or OCI
 * archive tar), `oci-layout:DIR`, a path that exists (a file is read as an archive, a
 * directory as a layout), or else a name or ID in the store.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Store } from '../../store/store.js';
import { openArchiveSource, openLayoutSource } from './archive-source.js';
import { type ExploreModel, exploreImage } from './explore-model.js';
import type { ImageSource } from './image-source.js';
import { openStoreSource } from './store-source.js';

export async function openImageSource(
  spec: string,
  opts: { cwd: string; store: () => Promise<Store>; platform?: string },
): Promise<ImageSource> {
  // A gzip archive is decompressed into the store's scratch space (swept if we die).
  const scratch = async () => (await opts.store()).createScratchFile();
  const m = /^(docker-archive|oci-archive|oci-layout):(.+)$/.exec(spec);
  if (m) {
    const p = resolve(opts.cwd, m[2]);
    return m[1] === 'oci-layout' ? openLayoutSource(p, spec) : openArchiveSource(p, spec, scratch);
  }
  // Only paths that look like paths: `busybox` must stay an image name even if a file of
  // that name happens to sit in the current directory.
  if (/^[./~]/.test(spec) || /\.(tar|tgz|tar\.gz)$/.test(spec)) {
    const p = resolve(opts.cwd, spec);
    const st = await stat(p).catch(() => undefined);
    if (st?.isDirectory()) return openLayoutSource(p, spec);
    if (st?.isFile()) return openArchiveSource(p, spec, scratch);
  }
  return openStoreSource(await opts.store(), spec, opts.platform);
}

/**
 * Opens `spec`, reads every layer and closes it again: the model for one command. A store
 * image's cache story comes from the build report this store keeps for it.
 */
export async function exploreSpec(
  spec: string,
  opts: { cwd: string; store: () => Promise<Store>; platform?: string },
): Promise<ExploreModel> {
  const source = await openImageSource(spec, opts);
  try {
    return await exploreImage(source, source.kind === 'store' ? await opts.store() : undefined);
  } finally {
    await source.close();
  }
}
