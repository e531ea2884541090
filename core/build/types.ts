/**
 * Plain data shared by the planner and the executor: neither imports the other (the
 * planner decides, the executor does; `--dry-run` prints a plan and stops).
 */

import type { BuildGraph, Stage, Step } from '../../frontend/graph/types.js';
import type { Digest } from '../oci/digest.js';
import type { ImageConfig } from '../oci/types.js';

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
  /**
   * Set on the second record a run writes, keyed by content (its parent is the chain below,
   * see contentParent): early cutoff finds results through it. Never an explanation's "prev".
   */
  contentKeyed?: true;
}

/** The image state a stage starts from, or that a step leaves. */
export interface ImageState {
  config: ImageConfig;
  /** chainID of every layer in config.rootfs.diff_ids, in order. */
  chain: Digest[];
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
  | 'layer-missing';

export interface PlannedStep {
  stage: number;
  step: Step;
  /** `[stage i/n] INSTRUCTION` as BuildKit labels it. */
  name: string;
  /** The key it is looked up by; undefined while pending (decided when its inputs exist). */
  key: Digest | undefined;
  /** What the next step chains from: the key, except for --link (key and parent together). */
  chainKey: Digest | undefined;
  keyInputs: KeyInputs;
  decision: Decision;
  /** What the key reads from other stages' or images' results (content-keyed inputs). */
  resultInputs?: import('./planner.js').ResultInput[];
  /** While the key waits for results: the stages it waits for. */
  pending?: { waitsFor: string[] };
  /** The key by content (parent = the chain below), once the executor knows that chain. */
  contentKey?: Digest;
  /** Early cutoff was possible but off: the reused run's duration, for the summary. */
  wouldCutoffMs?: number;
  /** The per-file list behind a content-keyed COPY --from input, once checksummed. */
  resultFiles?: () => { path: string; digest: Digest }[];
  /** The image config this step produces (metadata replayed; diff_ids filled at run time). */
  stepOptions: StepOptions;
  /** For COPY/ADD from the context: the per-file list (path, digest) behind `inputs.content`. */
  files?: { path: string; digest: Digest }[];
  /**
   * The last result of this same step when only its sources changed (same operation, same
   * parent): its unchanged files can be linked from that layer instead of copied.
   */
  previous?: { chainId: Digest; layerFiles: Digest };
}

export interface PlannedStage {
  stage: Stage;
  /** Human label: the stage name or its index. */
  label: string;
  /** Undefined while the stage it starts from is pending. */
  rootKey: Digest | undefined;
  base: ImageState;
  /** Where `base` came from: `scratch`, an image ref (+ digest), or a stage. */
  baseDescription: string;
  steps: PlannedStep[];
  /** The chain key of its last step; undefined while pending. */
  finalKey: Digest | undefined;
}

export interface Plan {
  graph: BuildGraph;
  buildId: string;
  stages: PlannedStage[];
}
