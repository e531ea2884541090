/**
 * Plain data shared by the planner and the executor: neither imports the other (the
 * planner decides, the executor does; `--dry-run` prints a plan and stops).
 */

import type { BuildGraph, Stage, Step } from '../../frontend/graph/types.js';
import type { StagedBlob } from '../../store/store.js';
import type { Decision, KeyInputs, StepOptions } from '../cache/records.js';
import type { Digest } from '../oci/digest.js';

export type { CacheRecord, Decision, KeyInputs, MissCause, StepOptions } from '../cache/records.js';

import type { ImageConfig } from '../oci/types.js';

/** The image state a stage starts from, or that a step leaves. */
export interface ImageState {
  config: ImageConfig;
  /** chainID of every layer in config.rootfs.diff_ids, in order. */
  chain: Digest[];
}

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
  /** The per-file list (JSON) behind a content-keyed COPY --from input, once checksummed. */
  resultFiles?: () => string;
  /** The image config this step produces (metadata replayed; diff_ids filled at run time). */
  stepOptions: StepOptions;
  /**
   * For a COPY/ADD that missed: the per-file list (path, digest, attributes) behind
   * `inputs.content`, the JSON the step's record keeps, staged in the store (written out as
   * planning made it: a 100,000-file list is ~16 MB). The executor publishes it with the
   * step's record; a plan whose step never runs discards it (discardStagedLists).
   * Resolves to undefined for an empty list (not stored).
   */
  filesStaged?: Promise<StagedBlob | undefined>;
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
