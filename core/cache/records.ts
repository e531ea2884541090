/**
 * The cache's vocabulary, shared by the planner, the executor, cache export and import, gc,
 * fsck and the views: what a key hashes, the record a run leaves, and a decision about a
 * step. Plain types; imports only core/oci.
 */

import type { Digest } from '../oci/digest.js';

/** What a cache key hashes: never names, labels or source positions. */
export interface KeyInputs {
  /** The previous step's key, or the stage's root key for its first step. */
  parent: Digest;
  /** The step's operation after expansion (instruction-specific fields). */
  op: Record<string, unknown>;
  /** Content inputs: checksums of COPY sources, keys of other stages. */
  inputs: Record<string, string>;
}

/** One cache record: every input of its key, and the result. Stored as cache/<key>.json. */
export interface CacheRecord {
  key: Digest;
  version: 1;
  /** When this record was made (ISO time). */
  createdAt: string;
  keyInputs: KeyInputs;
  result: {
    /** Present when the step produced a layer. */
    diffId?: Digest;
    chainId?: Digest;
    /** The history `created` this step stamps on the image. */
    created: string;
  };
  /** Never hashed: where the step came from, for explaining later misses. */
  options: StepOptions;
  /** How long the step ran (what early cutoff saves when it reuses this result). */
  durationMs?: number;
  /** For COPY/ADD: the blob holding the per-file checksum list (for explaining misses). */
  filesBlob?: Digest;
  /** For COPY/ADD: a blob of [image path, file digest] pairs for the files its layer holds. */
  layerFiles?: Digest;
}

export interface StepOptions {
  /** Identifies "the same step" across builds: Dockerfile path, stage, position. */
  stepId: string;
  file: string;
  stage: string;
  position: number;
  instruction: string;
  buildId: string;
  /** What the stage started from (`scratch`, `ref@id`, `stage x`): explains base changes. */
  base: string;
  /** The platform the step built for (`linux/arm64`): explains a miss after a platform change. */
  platform?: string;
  /**
   * Set on the second record a run writes, keyed by content (its parent is the chain below,
   * see contentParent): early cutoff finds results through it. Never an explanation's "prev".
   */
  contentKeyed?: true;
}

export type Decision =
  | { hit: true; reason: string; record: CacheRecord }
  | { hit: false; reason: string; cause: MissCause; details: string[] };

export type MissCause =
  | 'pending'
  | 'no-cache'
  | 'new'
  | 'instruction'
  | 'args'
  | 'sources'
  | 'parent'
  | 'base'
  | 'stage-input'
  | 'platform'
  | 'layer-missing';
