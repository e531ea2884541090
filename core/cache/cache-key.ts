/**
 * The cache key: sha256 of canonical JSON { parent, op, inputs } (ARCHITECTURE "Identity").
 * The op is the step after expansion; inputs are content checksums and other stages' keys.
 * Nothing else (names, labels, source positions) is hashed, so moving a Dockerfile or
 * renaming a stage keeps its cache.
 */

import type { KeyInputs } from '../cache/records.js';
import type { Digest } from '../oci/digest.js';
import { canonicalJson, sha256 } from '../oci/digest.js';

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

/** The parent a --link step's key names: none (its layer is made on an empty base). */
export const LINKED = 'link' as Digest;

/** True for what a record's keyInputs.parent may be: a key, a content parent, or LINKED. */
export function isKeyParent(p: unknown): boolean {
  return (
    typeof p === 'string' &&
    (/^sha256:[0-9a-f]{64}$/.test(p) || p === LINKED || /^chain:(sha256:[0-9a-f]{64}|scratch)$/.test(p))
  );
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
