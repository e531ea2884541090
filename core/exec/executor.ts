/**
 * executePlan: does what the plan decided, in order, and nothing else. A hit replays the
 * record (its layer is already in the store); a miss runs the step, commits its layer and
 * then its cache record, in that order, so a crash never leaves a record without its layer.
 */

import { rmdirSync } from 'node:fs';
import type { Step } from '../../frontend/graph/types.js';
import type { StagedBlob, Store } from '../../store/store.js';
import { contentParent } from '../cache/cache-key.js';
import { linkTree } from '../fs/link-tree.js';
import type { Digest } from '../oci/digest.js';
import { chainId } from '../oci/digest.js';
import type { History, ImageConfig } from '../oci/types.js';
import type { StageState } from '../plan/config-apply.js';
import { applyStep, createdBy, inheritStageState, initStageState, makesLayer } from '../plan/config-apply.js';
import type { ChainOf } from '../plan/planner.js';
import type { CacheRecord, ImageState, Plan, PlannedStage, PlannedStep } from '../plan/types.js';
import type { BuildEvent, ProgressSink } from '../progress/events.js';

/** The effectful parts of a step, injected so this loop stays about order and records. */
export interface StepRunners {
  /**
   * Fills `staging` with the files a COPY/ADD writes; may stage a blob listing them (still
   * being written: the promise says when it is staged; the executor publishes it once the
   * layer is committed, or discards it), and may measure the layer itself
   * (then `measure` is not called for it).
   */
  copy(
    p: PlannedStep,
    state: StageState,
    image: ImageState,
    staging: string,
  ): Promise<{
    layerFiles?: Promise<StagedBlob>;
    measured?: { diffId: Digest; size: number; empty: boolean };
  }>;
  /** Runs a RUN step; its overlay upper dir is left in `upper`. */
  run(p: PlannedStep, state: StageState, image: ImageState, upper: string): Promise<void>;
  /** Creates WORKDIR in `staging` unless it already exists in the image; false if nothing to do. */
  workdir(p: PlannedStep, state: StageState, image: ImageState, staging: string): Promise<boolean>;
  /** diffID and size of a diff dir, and whether it holds anything at all. */
  measure(dir: string): Promise<{ diffId: Digest; size: number; empty: boolean }>;
}

export interface ExecDeps {
  store: Store;
  progress: ProgressSink;
  runners: StepRunners;
  /** Seconds since the epoch; clamps every created time and layer mtime when set. */
  sourceDateEpoch?: number;
  now(): Date;
  /** Told when a stage has finished (COPY --from and mounts read its layers). */
  onStage?(index: number, state: ImageState): void;
  /** Told which progress vertex a step runs as, before it runs. */
  onVertex?(id: number): void;
  /** Vertices already shown (the build's pulls): steps are numbered after them. */
  firstVertex?: number;
  /**
   * Decides a step the plan left pending (its key reads another stage's result), now that
   * the stages it reads have run: sets its key, chain key and decision (core/plan/planner
   * decidePending, bound to this build).
   */
  decidePending(
    p: PlannedStep,
    parent: Digest,
    firstMiss: PlannedStep | undefined,
    chainOf: ChainOf,
  ): Promise<void>;
  /** The root key of a stage that starts from another stage, given that stage's final chain key. */
  stageRootKey(fromFinalKey: Digest): Digest;
  /** The layer chain of an image by reference (COPY --from=image, mounts from=image). */
  imageChain(ref: string): Promise<Digest[]>;
  /** The record of a run with the same whole input (planner lookupByContent, bound). */
  lookupByContent(p: PlannedStep, chainBelow: Digest | undefined): Promise<CacheRecord | undefined>;
  /** Reuse such a record (opt-in early cutoff); else only say it could have been. */
  earlyCutoff?: boolean;
}

export interface StageResult {
  state: ImageState;
  stageState: StageState;
}

export interface BuildResult {
  /** The target stage's image config, ready to store. */
  config: ImageConfig;
  stages: Map<number, StageResult>;
  hits: number;
  misses: number;
}

const EPOCH = '1970-01-01T00:00:00Z';

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export async function executePlan(plan: Plan, deps: ExecDeps): Promise<BuildResult> {
  const stages = new Map<number, StageResult>();
  let vertex = deps.firstVertex ?? 0;
  let hits = 0;
  let misses = 0;
  const emit = (e: BuildEvent) => deps.progress(e);
  const chainOf: ChainOf = async (from) =>
    from.kind === 'stage' ? stages.get(from.index)?.state.chain : deps.imageChain(from.ref);
  const finalKeys = new Map<number, Digest>();
  for (const ps of plan.stages) {
    const { image, stageState } = startStage(ps, stages);
    if (ps.rootKey === undefined && ps.stage.base.kind === 'stage') {
      const from = finalKeys.get(ps.stage.base.index);
      if (from === undefined) throw new Error(`execute: stage ${ps.stage.base.index} has no final key`);
      ps.rootKey = deps.stageRootKey(from);
    }
    let parent = ps.rootKey as Digest;
    let firstMiss: PlannedStep | undefined;
    for (const p of ps.steps) {
      const id = ++vertex;
      // A key that reads a result is decided now that the result exists (exact, as the
      // plan said it would be).
      if (p.pending) await deps.decidePending(p, parent, firstMiss, chainOf);
      if (!p.decision.hit && p.decision.cause !== 'no-cache') await earlyCutoff(p, image, deps);
      if (p.decision.hit) {
        hits++;
        emit({ type: 'vertex-cached', id, name: p.name, decision: { hit: true, reason: p.decision.reason } });
        const rec = await stackedResult(p.decision.record, image, deps.store);
        replay(image, stageState, p.step, rec);
      } else {
        misses++;
        firstMiss ??= p;
        deps.onVertex?.(id);
        emit({ type: 'vertex-start', id, name: p.name, time: Date.now() });
        emit({ type: 'vertex-decision', id, decision: { hit: false, reason: p.decision.reason } });
        try {
          const rec = await runStepAndRecord(p, image, stageState, deps);
          replay(image, stageState, p.step, rec);
          emit({ type: 'vertex-done', id, time: Date.now() });
        } catch (err) {
          emit({
            type: 'vertex-error',
            id,
            message: (err as Error).message.split('\n')[0],
            time: Date.now(),
          });
          throw err;
        }
      }
      parent = p.chainKey as Digest;
    }
    ps.finalKey = parent;
    finalKeys.set(ps.stage.index, parent);
    stages.set(ps.stage.index, { state: image, stageState });
    deps.onStage?.(ps.stage.index, image);
  }
  const last = plan.stages[plan.stages.length - 1];
  const target = stages.get(last.stage.index);
  if (!target) throw new Error('execute: no target stage');
  return { config: finalConfig(target, deps), stages, hits, misses };
}

/**
 * Early cutoff: a step that missed by definition, whose whole input (the layers below it,
 * its operation, its content inputs) matches an earlier run's, can reuse that run. With
 * --early-cutoff it does (the decision becomes a hit); without, strata stays BuildKit's
 * and the reason says what the rerun would have saved.
 */
async function earlyCutoff(p: PlannedStep, image: ImageState, deps: ExecDeps): Promise<void> {
  const below = image.chain[image.chain.length - 1];
  const rec = await deps.lookupByContent(p, below);
  if (!rec || p.decision.hit) return;
  const took = rec.durationMs === undefined ? '' : ` (its run took ${(rec.durationMs / 1000).toFixed(1)}s)`;
  const same = `the same layers below (${below ? short(below) : 'scratch'}), operation and inputs as build ${rec.options.buildId}'s run`;
  if (deps.earlyCutoff) {
    p.decision = {
      hit: true,
      record: rec,
      reason: `early cutoff: ${p.decision.reason}, but ${same}${took}: reused`,
    };
    return;
  }
  p.wouldCutoffMs = rec.durationMs ?? 0;
  p.decision = {
    ...p.decision,
    reason: `${p.decision.reason}; with --early-cutoff it would be reused: ${same}${took}`,
  };
}

function short(d: string): string {
  return d.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * A hit's result on the image being built. A --link layer was made on an empty base, so
 * its record names the chain it was first stacked on; on another parent the same diff is
 * stacked again under the new chainID (hard links, no bytes copied), as BuildKit's MergeOp
 * re-stacks a linked layer.
 */
async function stackedResult(rec: CacheRecord, image: ImageState, store: Store): Promise<CacheRecord> {
  const { diffId, chainId: recorded } = rec.result;
  if (!diffId || !recorded) return rec;
  const parent = image.chain[image.chain.length - 1];
  const cid = chainId(parent, diffId);
  if (cid === recorded) return rec;
  if ((await store.getLayer(cid)) === undefined) {
    const from = await store.getLayer(recorded);
    if (!from) throw new Error(`execute: layer ${recorded} of a cache hit is gone`);
    const staging = await store.makeStagingDir();
    try {
      rmdirSync(staging); // linkTree makes it, with the source root's metadata
      linkTree(store.diffPath(recorded), staging);
      await store.commitLayer(staging, { chainId: cid, diffId, parent, size: from.size });
    } finally {
      await store.discardStagingDir(staging);
    }
  }
  return { ...rec, result: { ...rec.result, chainId: cid } };
}

function startStage(
  ps: PlannedStage,
  done: Map<number, StageResult>,
): { image: ImageState; stageState: StageState } {
  const base = ps.stage.base;
  if (base.kind === 'stage') {
    const from = done.get(base.index);
    if (!from) throw new Error(`execute: stage ${base.index} has not run`);
    return {
      image: structuredClone(from.state),
      stageState: inheritStageState(from.stageState),
    };
  }
  const image = structuredClone(ps.base);
  // A new stage starts from the base's config; created is carried as the time the newest
  // content of this image was made (see record-time rules in README "Reproducibility").
  image.config.history = image.config.history ?? [];
  return { image, stageState: initStageState(image.config.config, base.kind === 'scratch') };
}

/** Current "newest content" time of an image state. */
function currentCreated(image: ImageState): string {
  return image.config.created ?? EPOCH;
}

async function runStepAndRecord(
  p: PlannedStep,
  image: ImageState,
  st: StageState,
  deps: ExecDeps,
): Promise<CacheRecord> {
  const { store, runners } = deps;
  const kind = p.step.instruction.kind;
  const started = Date.now();
  const below = image.chain[image.chain.length - 1];
  let created = currentCreated(image);
  if (deps.sourceDateEpoch !== undefined) created = iso(new Date(deps.sourceDateEpoch * 1000));
  let result: CacheRecord['result'] = { created };
  // The step's blobs are written (into ingest/) while it runs and its layer commits, each
  // waiting on its own fsyncs, rather than one after another at the end, and published once
  // the layer is in: a step that fails leaves none of them behind. The file list was staged
  // when the step was planned (core/plan/miss-list.ts); this step now owns it.
  const filesStage = p.filesStaged;
  p.filesStaged = undefined;
  let layerFilesStage: Promise<StagedBlob> | undefined;
  let filesBlob: Digest | undefined;
  let layerFiles: Digest | undefined;
  try {
    if (makesLayer(p.step)) {
      const staging = await store.makeStagingDir();
      try {
        let produced = true;
        let measured: Awaited<ReturnType<StepRunners['measure']>> | undefined;
        if (kind === 'run') {
          await runners.run(p, st, image, staging);
          // A RUN is when new content is made; its time is what the image's created says.
          if (deps.sourceDateEpoch === undefined) result.created = iso(deps.now());
        } else if (kind === 'workdir') {
          produced = await runners.workdir(p, st, image, staging);
        } else {
          ({ layerFiles: layerFilesStage, measured } = await runners.copy(p, st, image, staging));
          layerFilesStage?.catch(() => {}); // awaited below
        }
        const m = measured ?? (produced ? await runners.measure(staging) : undefined);
        // Every RUN, COPY, ADD and WORKDIR (but `WORKDIR /`) makes a layer, an empty one too,
        // as BuildKit commits every exec and file op (testExportedHistory: `RUN ls` has one).
        if (m) {
          const parent = image.chain[image.chain.length - 1];
          const cid = chainId(parent, m.diffId);
          await settle([
            store.commitLayer(staging, { chainId: cid, diffId: m.diffId, parent, size: m.size }),
            layerFilesStage,
            filesStage,
          ]);
          result = { ...result, diffId: m.diffId, chainId: cid };
        }
      } finally {
        await store.discardStagingDir(staging);
      }
    }
    // Each publish waits on two fsyncs (the blob, its directory): side by side they overlap.
    // Both settle before a failure is raised, so the discard below never races a publish.
    const published = publishStaged(layerFilesStage);
    const publishedFiles = publishStaged(filesStage);
    await settle([published, publishedFiles]);
    layerFiles = await published;
    filesBlob = await publishedFiles;
  } catch (err) {
    await settle([discardStaged(layerFilesStage), discardStaged(filesStage)]).catch(() => {});
    throw err;
  }
  const rec: CacheRecord = {
    key: p.key as Digest,
    version: 1,
    createdAt: deps.now().toISOString(),
    keyInputs: p.keyInputs,
    result,
    options: p.stepOptions,
    filesBlob,
    layerFiles,
    durationMs: Date.now() - started,
  };
  await store.putCacheRecord(rec);
  // The same result under its content key (parent: the layers below), which early cutoff
  // looks up; lookupByContent computed it when this step missed.
  if (p.contentKey !== undefined && !p.decision.hit) {
    const alias: CacheRecord = {
      ...rec,
      key: p.contentKey,
      keyInputs: { ...p.keyInputs, parent: contentParent(below) },
      options: { ...rec.options, contentKeyed: true },
    };
    await store.putCacheRecord(alias);
  }
  return rec;
}

async function publishStaged(
  stage: Promise<StagedBlob | undefined> | undefined,
): Promise<Digest | undefined> {
  return (await stage)?.publish();
}

/** Removes a staged blob that will not be published (one whose staging failed has nothing to remove). */
async function discardStaged(stage: Promise<StagedBlob | undefined> | undefined): Promise<void> {
  const staged = await stage?.catch(() => undefined);
  await staged?.discard();
}

/** Waits for all of `work` to finish, then throws the first failure: nothing is left running behind an error. */
async function settle(work: (Promise<unknown> | undefined)[]): Promise<void> {
  for (const r of await Promise.allSettled(work)) if (r.status === 'rejected') throw r.reason;
}

/** Applies a step's result (hit or fresh) to the image state: layer, config, history. */
function replay(image: ImageState, st: StageState, step: Step, rec: CacheRecord): void {
  const by = createdBy(step, st);
  applyStep(st, step);
  if (step.instruction.kind === 'onbuild') return; // ONBUILD makes no history entry
  const h: History = { created: rec.result.created, created_by: by, comment: 'buildkit.dockerfile.v0' };
  if (rec.result.diffId && rec.result.chainId) {
    image.config.rootfs.diff_ids.push(rec.result.diffId);
    image.chain.push(rec.result.chainId);
  } else {
    h.empty_layer = true;
  }
  image.config.history = [...(image.config.history ?? []), h];
  if (rec.result.created > currentCreated(image)) image.config.created = rec.result.created;
  image.config.config = st.config;
}

function finalConfig(target: StageResult, deps: ExecDeps): ImageConfig {
  const c = target.state.config;
  const author = target.stageState.author ?? c.author;
  // Built in a fixed member order: the config's bytes, hence the image ID, must not vary.
  return {
    created:
      deps.sourceDateEpoch !== undefined ? iso(new Date(deps.sourceDateEpoch * 1000)) : (c.created ?? EPOCH),
    ...(author ? { author } : {}),
    architecture: c.architecture,
    os: c.os,
    ...(c.variant ? { variant: c.variant } : {}),
    config: target.stageState.config,
    rootfs: { type: 'layers', diff_ids: [...c.rootfs.diff_ids] },
    history: c.history ?? [],
  };
}
