/**
 * Resolves a FROM reference to an image in the store for one platform: local tags first,
 * then core/registry; a missing image (or platform) is a clear error that says how to bring
 * one in offline.
 */

import type { Store } from '../../store/store.js';
import { imagePlatform, selectRefImage } from '../image/platform-image.js';
import { normalizeRef } from '../image/reference.js';
import type { Digest } from '../oci/digest.js';
import { chainIds } from '../oci/digest.js';
import { NotFoundError } from '../oci/errors.js';
import { parsePlatform, platformRuns } from '../oci/platform.js';
import type { ImageConfig } from '../oci/types.js';
import type { ImageState } from '../plan/types.js';
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

/**
 * Local tags first (or an image ID), then the registry; `--pull` asks the registry first.
 * With a platform, a name resolves to its image for that platform: one of the platforms a
 * multi-platform name holds, else the registry's index entry for it. A local image of
 * another platform is never used in its place (BuildKit fails the same way), so an arm64
 * build over an amd64-only base is an error that names both, not an amd64 image labelled arm64.
 */
export async function resolveImage(
  store: Store,
  ref: string,
  o: ResolveOptions = {},
): Promise<ResolvedImage> {
  const name = normalizeRef(ref);
  let id: Digest | undefined;
  let localHas: string[] = [];
  if (/^sha256:[a-f0-9]{64}$/.test(ref) && (await store.hasBlob(ref as Digest))) {
    id = ref as Digest;
    if (o.platform !== undefined) {
      const have = await imagePlatform(store, id);
      if (!platformRuns(parsePlatform(o.platform), parsePlatform(have)))
        throw new NotFoundError(
          `resolve image ${ref}: it is a ${have} image, the stage builds for ${o.platform}`,
        );
    }
  } else if (!o.pull) ({ id, have: localHas } = await localImage(store, name, o.platform));
  if (id === undefined) {
    const { pullImage } = await import('../registry/pull-image.js');
    try {
      o.onPull?.(`pulling ${name}${o.platform ? ` (${o.platform})` : ''}`);
      id = (
        await pullImage(store, ref, {
          platform: o.platform,
          insecureRegistries: o.insecureRegistries,
          env: o.env,
          ...(o.onPullProgress ? { onProgress: o.onPullProgress } : {}),
        })
      ).config;
    } catch (err) {
      const local = o.pull ? (await localImage(store, name, o.platform)).id : undefined;
      if (local === undefined) {
        if (localHas.length > 0) {
          throw new NotFoundError(
            `resolve image ${ref} for ${o.platform}: the store holds ${name} for ${localHas.join(', ')} only, ` +
              `and the registry did not give ${o.platform}: ${(err as Error).message}; ` +
              `bring in a ${o.platform} image (\`strata pull --platform ${o.platform} ${ref}\`, ` +
              `\`strata import --platform ${o.platform} rootfs.tar ${ref}\`, samples/base/make-busybox.sh --arch ARCH) ` +
              'or build for a platform it has',
            { cause: err },
          );
        }
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
  return { ref: name, id, state: await imageState(store, id) };
}

/** The local image a name holds for `platform` (any platform's plain image without one). */
async function localImage(
  store: Store,
  name: string,
  platform: string | undefined,
): Promise<{ id: Digest | undefined; have: string[] }> {
  const target = await store.getRef(name);
  if (target === undefined) return { id: undefined, have: [] };
  if (platform === undefined) return { id: target.config, have: [] };
  return selectRefImage(store, target, platform);
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
