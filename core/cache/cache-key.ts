/**
 * The cache key: sha256 of canonical JSON { parent, op, inputs } (ARCHITECTURE "Identity").
 * The op is the step after expansion; inputs are content checksums and other stages' keys.
 * Nothing else (names, labels, source positions) is hashed, so moving a Dockerfile or
 * renaming a stage keeps its cache.
 */

import type { Digest } from '../oci/digest.js';
import { canonicalJson, sha256 } from '../oci/digest.js';
import type { KeyInputs } from '../cache/records.js';

export function cacheKey(k: KeyInputs): Digest {
  return sha256(canonicalJson({ v: 1, parent: k.parent, op: k.op, inputs: k.inputs }));
}

/**
 * The parent a content key names: the filesystem below a step (the chainID of its top
 * layer), not the definition of the steps that made it. Early cutoff looks a step up by it:
 * a step above that reran and left the same layers leaves this parent unchanged. Its
 * namespace (`chain:`) never meets a definition key's (`sha256:`).
 */
export function contentParent(chainBelow: Digest | undefined): Digest {
  return `chain:${chainBelow ?? 'scratch'}` as Digest;
}

/**
 * A stage's root key: what its first step chains from. SOURCE_DATE_EPOCH is not in it, as
 * BuildKit keys it: it sets created times, and layer times only at export with
 * rewrite-timestamp (core/export/rewrite-timestamps.ts); a step that reads it (a RUN in a
 * stage that declares `ARG SOURCE_DATE_EPOCH`) has it in its own op's env.
 */
export function rootKey(
  base: { scratch: true } | { image: Digest } | { stage: Digest },
  platform: string,
): Digest {
  return sha256(canonicalJson({ v: 2, base, platform }));
}
