/**
 * An image as the store holds it: its config blob (whose digest is the image ID) and the
 * layer records its `rootfs.diff_ids` chain to.
 */
import type { LayerRecord, Store } from '../../store/index.js';
import { chainIds, type Digest, isDigest, parseDigest } from '../oci/digest.js';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';
import type { ImageConfig } from '../oci/types.js';

export interface StoredImage {
  /** The image ID: sha256 of `configBytes`. */
  configDigest: Digest;
  /** The config exactly as stored; re-serialising the parsed object could change its digest. */
  configBytes: Buffer;
  config: ImageConfig;
  /** One record per diff_id, base first. */
  layers: LayerRecord[];
}

/**
 * Reads and checks an image: the config blob (verified against its digest), its rootfs,
 * and the presence of every layer. NotFoundError when the config or a layer is missing,
 * InvalidInputError when the config is not an image config.
 */
export async function readImage(store: Store, config: Digest): Promise<StoredImage> {
  const configDigest = parseDigest(config);
  const configBytes = await store.readBlob(configDigest);
  const parsed = parseImageConfig(configBytes, `image ${configDigest}`);
  const layers: LayerRecord[] = [];
  const ids = chainIds(parsed.rootfs.diff_ids);
  for (const [i, chainId] of ids.entries()) {
    const rec = await store.getLayer(chainId);
    if (rec === undefined) {
      throw new NotFoundError(
        `read image ${configDigest}: layer ${i} (chain ${chainId}) is not in the store`,
      );
    }
    layers.push(rec);
  }
  return { configDigest, configBytes, config: parsed, layers };
}

/** Parses config JSON and checks the fields strata relies on (`rootfs.diff_ids`, os, arch). */
export function parseImageConfig(bytes: Uint8Array, what: string): ImageConfig {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new InvalidInputError(`parse ${what} config: not json`, { cause: err });
  }
  const c = v as Partial<ImageConfig> | null;
  if (c === null || typeof c !== 'object' || typeof c.rootfs !== 'object' || c.rootfs === null) {
    throw new InvalidInputError(`parse ${what} config: no rootfs`);
  }
  const ids = c.rootfs.diff_ids;
  if (!Array.isArray(ids) || !ids.every(isDigest)) {
    throw new InvalidInputError(`parse ${what} config: rootfs.diff_ids must be a list of sha256 digests`);
  }
  return c as ImageConfig;
}
