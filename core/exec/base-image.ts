/**
 * Resolves a FROM reference to an image in the store: local tags first. Registry pulls
 * belong to core/registry (not built yet); until then a missing image is a clear error that
 * says how to bring one in offline.
 */

import type { Store } from '../../store/store.js';
import { normalizeRef } from '../image/reference.js';
import type { Digest } from '../oci/digest.js';
import { chainIds } from '../oci/digest.js';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';
import type { ImageConfig } from '../oci/types.js';
import type { ImageState } from '../plan/types.js';
import { formatPlatform, parsePlatform, platformRuns } from '../registry/platform.js';
import type { PullProgress } from '../registry/pull-image.js';

export interface ResolvedImage {
  /** The normalised reference that was looked up. */
  ref: string;
  /** The image ID: its config digest. */
  id: Digest;
  state: ImageState;
}

export interface ResolveOptions {
  /** Always ask the registry (`--pull`), even when the name is tagged locally. */
  pull?: boolean;
  platform?: string;
  insecureRegistries?: string[];
  env?: NodeJS.ProcessEnv;
  onPull?(message: string): void;
  /** The pull's own progress (resolved, bytes per layer, done), when it pulls. */
  onPullProgress?(e: PullProgress): void;
}

/** Local tags first (or an image ID), then the registry; `--pull` asks the registry first. */
export async function resolveImage(
  store: Store,
  ref: string,
  o: ResolveOptions = {},
): Promise<ResolvedImage> {
  const name = normalizeRef(ref);
  let id: Digest | undefined;
  if (/^sha256:[a-f0-9]{64}$/.test(ref) && (await store.hasBlob(ref as Digest))) id = ref as Digest;
  else if (!o.pull) id = (await store.getRef(name))?.config;
  if (id === undefined) {
    const { pullImage } = await import('../registry/pull-image.js');
    try {
      o.onPull?.(`pulling ${name}`);
      id = (
        await pullImage(store, ref, {
          platform: o.platform,
          insecureRegistries: o.insecureRegistries,
          env: o.env,
          ...(o.onPullProgress ? { onProgress: o.onPullProgress } : {}),
        })
      ).config;
    } catch (err) {
      const local = o.pull ? (await store.getRef(name))?.config : undefined;
      if (local === undefined) {
        throw new NotFoundError(
          `resolve image ${ref}: not in the store (${name}) and the registry did not give it: ${(err as Error).message}; ` +
            'bring it in offline with `strata load -i image.tar` (from `docker save`) or `strata import rootfs.tar NAME`, ' +
            'or stand one in with `--build-context NAME=docker-image://OTHER`',
          { cause: err },
        );
      }
      o.onPull?.(`could not refresh ${name} (${(err as Error).message}); using the local image`);
      id = local;
    }
  }
  const state = await imageState(store, id);
  if (o.platform !== undefined) checkPlatform(ref, state.config, o.platform);
  return { ref: name, id, state };
}

/**
 * A base image must run on the platform the build targets. BuildKit builds on with an
 * InvalidBaseImagePlatform warning and emulates RUN where binfmt is installed; strata runs
 * no emulator, so an image for another platform is refused with both named, never built on
 * and labelled as asked. A config that names no architecture (hand-made) is taken as it is.
 */
function checkPlatform(ref: string, config: ImageConfig, platform: string): void {
  if (!config.os || !config.architecture) return;
  const want = parsePlatform(platform);
  const have = parsePlatform(
    `${config.os}/${config.architecture}${config.variant ? `/${config.variant}` : ''}`,
  );
  if (platformRuns(want, have)) return;
  throw new InvalidInputError(
    `resolve image ${ref}: no match for platform ${platform}: the image is ${formatPlatform(have)} ` +
      `(strata does not emulate other platforms; build for ${formatPlatform(have)} or use a base image that has ${platform})`,
  );
}

/** Reads an image config and derives the chainIDs of its layers, checking they are present. */
export async function imageState(store: Store, id: Digest): Promise<ImageState> {
  const config = await store.readJsonBlob<ImageConfig>(id);
  const chain = chainIds(config.rootfs.diff_ids);
  for (const c of chain) {
    if (!(await store.getLayer(c)))
      throw new NotFoundError(`read image ${id}: layer ${c} is missing from the store`);
  }
  return { config, chain };
}
