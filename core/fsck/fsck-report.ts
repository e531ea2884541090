/**
 * What `strata fsck` found: plain data, printed by cmd/fsck.ts and asserted by tests.
 * Every problem names its store-relative path, so a person can `ls` it.
 */

import type { DeadBuildSweep } from '../exec/build-dirs.js';

/** Stable problem kinds (grouped by the part of the store they concern). */
export type ProblemKind =
  | 'blob-corrupt' // content does not hash to the blob's name
  | 'blob-stray' // a file in blobs/sha256 that is not named by a digest
  | 'layer-record' // layer.json missing, unparseable or about another layer
  | 'layer-chain' // chainId is not chain(parent, diffId)
  | 'layer-lower' // the `lower` file disagrees with the parent's chain
  | 'layer-parent' // the parent layer is missing or itself damaged
  | 'layer-diff' // the diff dir does not re-tar to the recorded diffId
  | 'layer-blob-missing' // a compressed blob listed in layer.json is absent or corrupt
  | 'ref-record' // a ref file that does not parse
  | 'ref-config' // the config blob is missing, corrupt or not an image config
  | 'ref-layer' // a layer of the config's diff_ids is missing or damaged
  | 'ref-manifest' // the recorded manifest is missing, corrupt or names another config
  | 'cache-record' // a cache record that does not parse or has the wrong shape
  | 'cache-key' // the record's key is not the hash of its keyInputs (or of its file name)
  | 'cache-layer' // the record's result layer is missing or damaged
  | 'cache-files'; // the record's per-file checksum blob is missing or corrupt

/** What --repair did about a problem. */
export type RepairAction = 'quarantined' | 'removed' | 'rewritten';

export interface FsckProblem {
  kind: ProblemKind;
  /** Store-relative path of the damaged entry (`blobs/sha256/<hex>`, `layers/<hex>`...). */
  path: string;
  /** What is wrong, in words: "hashes to sha256:..., expected ...". */
  detail: string;
  /** Set when --repair dealt with it (where it went, for quarantine). */
  repaired?: { action: RepairAction; to?: string };
}

export interface FsckCounts {
  blobs: number;
  layers: number;
  refs: number;
  cacheRecords: number;
}

export interface FsckReport {
  /** How many entries of each kind were checked. */
  checked: FsckCounts;
  /** Every problem found, in the order found (blobs, layers, refs, cache records). */
  problems: FsckProblem[];
  /** What dead builds left and fsck cleaned (with or without --repair); `kept` stayed. */
  orphans: DeadBuildSweep;
  /** Problems that --repair did not resolve (all of them without --repair), plus orphans kept. */
  remaining: number;
}
