/**
 * Platforms of the images a name holds in the store. A name holds one image (its config says
 * its platform) or, after a multi-platform build, a pull or an import of another platform, one
 * image per platform (RefTarget.platforms): what an OCI index is to a registry.
 */
import type { RefTarget, Store } from '../../store/index.js';
import type { Digest } from '../oci/digest.js';
import {
  canonicalPlatform,
  configPlatform,
  formatCanonical,
  hostPlatform,
  normalizePlatform,
  parsePlatform,
  selectPlatform,
} from '../oci/platform.js';
import type { Descriptor, ImageConfig } from '../oci/types.js';

/** `linux/amd64` of a stored image, from its config. */
export async function imagePlatform(store: Store, config: Digest): Promise<string> {
  return formatCanonical(configPlatform(await store.readJsonBlob<ImageConfig>(config)));
}

/** Every platform a name holds, `linux/amd64` first when present; each with its image. */
export async function refPlatforms(store: Store, target: RefTarget): Promise<Map<string, Digest>> {
  const out = new Map<string, Digest>();
  if (target.platforms !== undefined) {
    for (const [p, id] of Object.entries(target.platforms)) out.set(canonicalPlatform(p), id);
    return out;
  }
  out.set(await imagePlatform(store, target.config), target.config);
  return out;
}

/**
 * The image of `target` that runs on `want` (exact variant first, as an index is chosen
 * from), or undefined with the platforms it does hold.
 */
export async function selectRefImage(
  store: Store,
  target: RefTarget,
  want: string,
): Promise<{ id: Digest | undefined; have: string[] }> {
  const all = await refPlatforms(store, target);
  const descs: Descriptor[] = [...all].map(([p, id]) => ({
    mediaType: '',
    digest: id,
    size: 0,
    platform: parsePlatform(p),
  }));
  const hit = selectPlatform(descs, normalizePlatform(parsePlatform(want)));
  return { id: hit?.digest, have: [...all.keys()] };
}

/**
 * Adds (or replaces) the image of its own platform under `name`, keeping the other
 * platforms the name already holds: how `strata pull --platform` and `strata import
 * --platform` of a second platform make a multi-platform name. The plain `config` stays the
 * host's image when the name has one.
 */
export async function addPlatformImage(
  store: Store,
  name: string,
  config: Digest,
  extra: Partial<RefTarget> = {},
): Promise<string[]> {
  const platform = await imagePlatform(store, config);
  const old = await store.getRef(name);
  const all = old
    ? await refPlatforms(store, old).catch(() => new Map<string, Digest>())
    : new Map<string, Digest>();
  all.set(platform, config);
  if (all.size === 1) {
    await store.setRef(name, { config, ...extra });
    return [platform];
  }
  const host = all.get(hostPlatform());
  const first = host ?? [...all.values()][0];
  const target: RefTarget = { config: first, platforms: Object.fromEntries(all) };
  // The manifest and time a single-image ref kept describe that one image only.
  if (first === config) Object.assign(target, extra);
  else if (old?.config === first) {
    if (old.manifest) target.manifest = old.manifest;
    if (old.created) target.created = old.created;
  }
  await store.setRef(name, target);
  return [...all.keys()];
}
