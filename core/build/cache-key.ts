/**
 * The cache key: sha256 of canonical JSON { parent, op, inputs } (ARCHITECTURE "Identity").
 * The op is the step after expansion; inputs are content checksums and other stages' keys.
 * Nothing else (names, labels, source positions) is hashed, so moving a Dockerfile or
 * renaming a stage keeps its cache.
 */

import type { Digest } from '../oci/digest.js';
import { canonicalJson, sha256 } from '../oci/digest.js';
import type { KeyInputs } from './types.js';

export function cacheKey(k: KeyInputs): Digest {
  return sha256(canonicalJson({ v: 1, parent: k.parent, op: k.op, inputs: k.inputs }));
}

/**
 * A stage's root key: what its first step chains from. SOURCE_DATE_EPOCH is in it because
 * it changes the bytes of every layer (mtimes are clamped in the diff dirs), so a build with
 * an epoch never reuses a layer made without one, nor one made with another epoch.
 */
export function rootKey(
  base: { scratch: true } | { image: Digest } | { stage: Digest },
  platform: string,
  sourceDateEpoch?: number,
): Digest {
  return sha256(canonicalJson({ v: 1, base, platform, sourceDateEpoch }));
}
