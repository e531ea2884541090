/**
 * planBuild: walks the graph, replays metadata to know each step's exact operation,
 * computes every cache key and decides hit or miss with a reason. It reads the store and
 * the context (checksums) but writes nothing and runs nothing: `--dry-run` prints its
 * result. Keys depend only on inputs, never on results, so the whole plan exists before
 * the first step runs.
 */
import type { BuildGraph, SourceRef, Stage, Step } from '../../frontend/graph/types.js';
import type { Store } from '../../store/store.js';
import { cacheKey, contentParent, LINKED, rootKey } from '../cache/cache-key.js';
import type { FileEntry } from '../cache/explain-miss.js';
import { explainMiss, type FileChange, short } from '../cache/explain-miss.js';
import { chainId, type Digest, sha256 } from '../oci/digest.js';
import { NotFoundError } from '../oci/errors.js';
import { canonicalPlatform } from '../oci/platform.js';
import type { ImageConfig } from '../oci/types.js';
import { timed } from '../progress/timings.js';
import type { StageState } from './config-apply.js';
import { applyStep, inheritStageState, initStageState } from './config-apply.js';
import { discardStagedLists, type FileRows, MissList } from './miss-list.js';
import { isUrl, stepOp } from './step-ops.js';
import type {
  CacheRecord,
  Decision,
  ImageState,
  Plan,
  PlannedStage,
  PlannedStep,
  StepOptions,
} from './types.js';

export interface PlanDeps {
  store: Store;
  buildId: string;
  noCache: boolean;
  /** `linux/amd64`-style platform string of the target (canonicalPlatform). */
  platform: string;
  /** Label steps with their stage's platform (`[linux/arm64 build 2/4]`): several platforms build. */
  platformLabels?: boolean;
  /** Resolves a base image for a platform (memoised by the caller); without one, the target's. */
  resolveImage(ref: string, platform?: string): Promise<{ id: Digest; state: ImageState }>;
  /**
   * Checksums the context files a COPY/ADD (or a RUN bind mount) selects. `files` may be a
   * getter that builds the list when read: the planner reads it only for a miss.
   */
  checksumSources(step: Step, sources: string[], exclude: string[], from?: string): Promise<FileChecksum>;
  /**
   * The content digest behind an `ADD <url>` (asked of the server once per build; see
   * core/copy/url-content.ts). Without it, URLs are keyed by their text.
   */
  resolveUrl?(url: string): Promise<{ digest: Digest }>;
  /** Whether a COPY --from name is a directory given with --build-context. */
  isNamedDir(name: string): boolean;
  /**
   * Checksums the paths a step selects in a stage's or image's result (the layers of
   * `chain`), with the same fields as context checksums: the content key of COPY --from
   * and of mounts with from=.
   */
  checksumResult(
    chain: Digest[],
    sources: string[],
    exclude: string[],
    parents: boolean,
  ): Promise<FileChecksum>;
  /** Reuse a step whose whole input is unchanged although a step above it reran (opt-in). */
  earlyCutoff?: boolean;
  /** Absolute path of the Dockerfile: with stage and position, it names "the same step" across builds. */
  dockerfilePath: string;
  /** stepId -> key of the most recent record of that step (meta/step-index.json). */
  stepIndex: Record<string, Digest>;
  /** Keys this command already built for another platform: hits even under --no-cache. */
  sharedKeys?: Set<Digest>;
}

export function emptyImageConfig(platform: string): ImageConfig {
  const [os, architecture, variant] = platform.split('/');
  const c: ImageConfig = {
    architecture,
    os,
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
  if (variant) c.variant = variant;
  return c;
}

/** BuildKit's progress label: `[stage i/n] INSTRUCTION` counting only FROM/RUN/COPY/ADD/WORKDIR. */
function labels(stage: Stage, stageLabel: string, multi: boolean, platform?: string): string[] {
  const counted = (s: Step) => ['run', 'copy', 'add', 'workdir'].includes(s.instruction.kind);
  const n = stage.steps.filter(counted).length + (stage.base.kind === 'image' ? 1 : 0);
  let i = stage.base.kind === 'image' ? 1 : 0;
  const width = String(n).length;
  // BuildKit's prefix when several platforms build: `[linux/arm64 build 2/4]`.
  const pre = platform === undefined ? '' : `${platform} `;
  return stage.steps.map((s) => {
    const text = s.source.replace(/\s*\\?\n\s*/g, ' ').trim();
    const prefix = s.fromOnBuild ? 'ONBUILD ' : '';
    if (!counted(s)) return `[${pre}${multi ? `${stageLabel} ` : ''}${s.instruction.kind}] ${prefix}${text}`;
    i++;
    return `[${pre}${multi ? `${stageLabel} ` : ''}${String(i).padStart(width)}/${n}] ${prefix}${text}`;
  });
}

/** A source of files another stage or image provides, as a step's key reads it. */
export interface ResultInput {
  /** The input's name in KeyInputs.inputs (`content` for COPY --from, `mount<i>` for mounts). */
  name: string;
  from: SourceRef;
  sources: string[];
  exclude: string[];
  parents: boolean;
  /** For a mount: its type, to name it when the source is missing. */
  mount?: 'bind' | 'cache';
}

/**
 * What the key of a step reads from results (other stages' or images' files), as BuildKit's
 * content-based cache keys for `COPY --from` and `RUN --mount=...,from=`: not the source
 * stage's definition, but a checksum of exactly the selected paths.
 */
export function resultInputsOf(step: Step, isNamedDir: (name: string) => boolean): ResultInput[] {
  const ins = step.instruction;
  const out: ResultInput[] = [];
  if ((ins.kind === 'copy' || ins.kind === 'add') && ins.from) {
    if (!(ins.from.kind === 'image' && isNamedDir(ins.from.ref))) {
      out.push({
        name: 'content',
        from: ins.from,
        sources: ins.sources,
        exclude: ins.exclude,
        parents: ins.parents,
      });
    }
  } else if (ins.kind === 'run') {
    for (const [i, m] of ins.mounts.entries()) {
      if (!m.from || (m.type !== 'bind' && m.type !== 'cache')) continue;
      out.push({
        name: `mount${i}`,
        from: m.from,
        sources: [m.source ?? '/'],
        exclude: [],
        parents: false,
        mount: m.type,
      });
    }
  }
  return out;
}

/** What the executor gives the keyer once results exist: the chain of a stage or image. */
export type ChainOf = (from: SourceRef) => Promise<Digest[] | undefined>;

/**
 * What checksumming a COPY's sources gives the planner: the content digest, the per-file
 * list (a getter: built only for a miss), and optionally that list as JSON made directly.
 */
export interface FileChecksum {
  digest: Digest;
  readonly files: FileEntry[];
  json?(): string;
  rows?(): Iterable<string>;
  readonly count?: number;
}

/** A checksum's file list as its record keeps it. */
function listJson(sum: FileChecksum): string {
  return sum.json ? sum.json() : JSON.stringify(sum.files);
}

/** A miss's file list, as rows when the checksum can give them. */
function listOf(sum: FileChecksum): string | FileRows {
  return sum.json && sum.rows && sum.count !== undefined ? (sum as FileRows) : listJson(sum);
}

/** JSON arrays joined into one. */
function joinLists(texts: string[]): string {
  const rows = texts.map((t) => t.slice(1, -1)).filter((t) => t.length > 0);
  return `[${rows.join(',')}]`;
}

export async function planBuild(graph: BuildGraph, deps: PlanDeps): Promise<Plan> {
  const steps: PlannedStep[] = [];
  try {
    return await planStages(graph, deps, steps);
  } catch (err) {
    // The lists missed steps staged are not wanted by a plan that will not run.
    await discardStagedLists(steps);
    throw err;
  }
}

async function planStages(graph: BuildGraph, deps: PlanDeps, all: PlannedStep[]): Promise<Plan> {
  const planned = new Map<number, PlannedStage>();
  const finalConfigs = new Map<number, StageState>();
  const multi = graph.stages.length > 1;
  const out: PlannedStage[] = [];
  // The chain a stage leaves, when the plan already knows it: every step hits.
  const chainOf: ChainOf = async (from) => {
    if (from.kind === 'image') return (await deps.resolveImage(from.ref)).state.chain;
    const ps = planned.get(from.index);
    return ps ? knownChain(ps) : undefined;
  };
  for (const stage of graph.stages) {
    const label = stage.name ?? `stage-${stage.index}`;
    // `FROM --platform=` (often $BUILDPLATFORM) builds the stage for that platform: its base,
    // its keys and its RUN steps; a stage equal for every target is then one key, built once.
    const platform = stage.platform === undefined ? deps.platform : canonicalPlatform(stage.platform);
    let base: ImageState;
    let root: Digest | undefined;
    let baseDescription: string;
    let state: StageState;
    let waitsFor: string[] | undefined;
    if (stage.base.kind === 'scratch') {
      base = { config: emptyImageConfig(platform), chain: [] };
      root = rootKey({ scratch: true }, platform);
      baseDescription = 'scratch';
      state = initStageState(undefined, true);
    } else if (stage.base.kind === 'image') {
      const img = await deps.resolveImage(stage.base.ref, platform);
      base = img.state;
      root = rootKey({ image: img.id }, platform);
      baseDescription = `${stage.base.ref}@${img.id}`;
      state = initStageState(base.config.config, false);
    } else {
      const from = planned.get(stage.base.index);
      const fromState = finalConfigs.get(stage.base.index);
      if (!from || !fromState) throw new Error(`plan: stage ${stage.base.index} planned after its dependant`);
      base = from.base; // the real chain is known only after that stage runs
      // FROM a stage chains from its definition, as BuildKit's LLB does: pending while its
      // last key is.
      root = from.finalKey === undefined ? undefined : rootKey({ stage: from.finalKey }, platform);
      if (root === undefined) waitsFor = [from.label];
      baseDescription = `stage ${from.label}`;
      state = inheritStageState(fromState);
    }
    const names = labels(stage, label, multi, deps.platformLabels ? platform : undefined);
    const steps: PlannedStep[] = [];
    let parent = root;
    let firstMiss: PlannedStep | undefined;
    for (const step of stage.steps) {
      const op = stepOp(step, state, platform);
      const inputs: Record<string, string> = {};
      let filesOf: (() => string | FileRows) | undefined;
      const ins = step.instruction;
      if (ins.kind === 'copy' || ins.kind === 'add') {
        if (ins.from?.kind === 'image' && deps.isNamedDir(ins.from.ref)) {
          const sum = await deps.checksumSources(step, ins.sources, ins.exclude, ins.from.ref);
          inputs.content = sum.digest;
          filesOf = () => listOf(sum);
        } else if (!ins.from && ins.sources.some((src) => !isUrl(src))) {
          const local = ins.sources.filter((src) => !isUrl(src));
          const sum = await deps.checksumSources(step, local, ins.exclude);
          inputs.content = sum.digest;
          filesOf = () => listOf(sum);
        }
        if (ins.kind === 'add' && !ins.from && ins.checksum === undefined && deps.resolveUrl) {
          // BuildKit keys an http source by what it downloads: a file changed on the server
          // makes the step miss. With --checksum the key is the checksum (in the op) and
          // nothing is asked of the server.
          for (const [i, url] of ins.sources.filter(isUrl).entries())
            inputs[`url${i}`] = (await deps.resolveUrl(url)).digest;
        }
      } else if (ins.kind === 'run') {
        for (const [i, m] of ins.mounts.entries()) {
          if (m.type !== 'bind' || m.from) continue;
          const sum = await deps.checksumSources(step, [m.source ?? '.'], []);
          inputs[`mount${i}`] = sum.digest;
        }
      }
      const stepOptions: StepOptions = {
        stepId: `${deps.dockerfilePath}#${label}#${step.index}`,
        file: graph.file,
        stage: label,
        position: step.index,
        instruction: step.source.replace(/\s*\\?\n\s*/g, ' ').trim(),
        buildId: deps.buildId,
        base: baseDescription,
        platform,
      };
      const p: PlannedStep = {
        stage: stage.index,
        step,
        name: names[step.index],
        key: undefined,
        chainKey: undefined,
        keyInputs: { parent: parent ?? PENDING, op, inputs },
        resultInputs: resultInputsOf(step, deps.isNamedDir),
        stepOptions,
        decision: undefined as unknown as Decision,
      };
      if (waitsFor === undefined) {
        const missing = await fillResultInputs(p, chainOf, deps);
        if (missing.length > 0) waitsFor = missing.map((m) => stageLabel(m, planned));
        else filesOf ??= p.resultFiles;
      }
      if (waitsFor !== undefined || parent === undefined) {
        p.pending = { waitsFor: waitsFor ?? [] };
        p.decision = pendingDecision(p.pending.waitsFor);
      } else {
        await keyAndDecide(p, parent, firstMiss, deps, filesOf);
        if (!p.decision.hit && !firstMiss) firstMiss = p;
      }
      steps.push(p);
      all.push(p);
      applyStep(state, step);
      parent = p.chainKey;
    }
    const ps: PlannedStage = {
      stage,
      label,
      rootKey: root,
      base,
      baseDescription,
      steps,
      finalKey: parent,
    };
    planned.set(stage.index, ps);
    finalConfigs.set(stage.index, state);
    out.push(ps);
  }
  return { graph, buildId: deps.buildId, stages: out };
}

/**
 * The names a step's latest key is kept under in the step index: per platform, and plain
 * (whatever platform ran last), so a miss is explained against the same platform's last run
 * when there is one and otherwise says the platform changed.
 */
export function stepIndexNames(p: Pick<PlannedStep, 'stepOptions'>): [string, string] {
  const id = p.stepOptions.stepId;
  return [`${id}@${p.stepOptions.platform ?? ''}`, id];
}

/** Stands in for a parent key that is not known yet (never hashed: a pending step has no key). */
const PENDING = 'pending' as Digest;

function pendingDecision(waitsFor: string[]): Decision {
  const what =
    waitsFor.length > 0 ? waitsFor.map((w) => `stage ${w}`).join(' and ') : 'the stage it starts from';
  return {
    hit: false,
    cause: 'pending',
    reason: `decided after ${what} runs: this step's key reads its result`,
    details: [],
  };
}

function stageLabel(from: SourceRef, planned: Map<number, PlannedStage>): string {
  return from.kind === 'stage' ? (planned.get(from.index)?.label ?? String(from.index)) : from.ref;
}

/** A planned stage's final chain when every step hits (else undefined: it will run). */
export function knownChain(ps: PlannedStage): Digest[] | undefined {
  if (ps.stage.base.kind === 'stage') return undefined; // its base chain is a result too
  const chain = [...ps.base.chain];
  for (const p of ps.steps) {
    if (!p.decision.hit) return undefined;
    const diffId = p.decision.record.result.diffId;
    if (diffId) chain.push(chainId(chain.at(-1), diffId));
  }
  return chain;
}

/**
 * Checksums what `p` reads from other stages' or images' results, where those results are
 * known (`chainOf` answers). Returns the sources that are not known yet.
 */
async function fillResultInputs(p: PlannedStep, chainOf: ChainOf, deps: KeyerDeps): Promise<SourceRef[]> {
  const missing: SourceRef[] = [];
  const lists: FileChecksum[] = [];
  for (const ri of p.resultInputs ?? []) {
    const chain = await chainOf(ri.from);
    if (chain === undefined) {
      missing.push(ri.from);
      continue;
    }
    const sum = await deps.checksumResult(chain, ri.sources, ri.exclude, ri.parents).catch((err: unknown) => {
      if (!ri.mount || !(err instanceof NotFoundError)) throw err;
      const name = ri.from.kind === 'stage' ? `stage ${ri.from.index}` : ri.from.ref;
      const what = ri.mount === 'cache' ? 'directory ' : '';
      throw new NotFoundError(`run --mount=type=${ri.mount}: from=${name} has no ${what}${ri.sources[0]}`, {
        cause: err,
      });
    });
    p.keyInputs.inputs[ri.name] = sum.digest;
    if (ri.name === 'content') lists.push(sum);
  }
  // Built only if the step misses, and as text: spreading 100,000 entries into a push was
  // both an object per file on every build and past the engine's limit on arguments.
  if (missing.length === 0 && lists.length > 0) p.resultFiles = () => joinLists(lists.map(listJson));
  return missing;
}

/** What keying a step needs from the build: the store, the checksummer of results, flags. */
export type KeyerDeps = Pick<
  PlanDeps,
  'store' | 'noCache' | 'stepIndex' | 'checksumResult' | 'earlyCutoff' | 'sharedKeys'
>;

/** The key a step is looked up by, and the key its successors chain from. */
function keysOf(p: PlannedStep, parent: Digest): { key: Digest; chainKey: Digest } {
  if (isLink(p)) {
    // --link: made on an empty base, so its key names no parent (BuildKit makes it a MergeOp
    // input); what comes after it still depends on everything below.
    p.keyInputs.parent = LINKED;
    const key = cacheKey(p.keyInputs);
    return { key, chainKey: sha256(`${parent} ${key}`) };
  }
  p.keyInputs.parent = parent;
  const key = cacheKey(p.keyInputs);
  return { key, chainKey: key };
}

/** Sets `p.key`, `p.chainKey` and `p.decision` (see decide). */
export async function keyAndDecide(
  p: PlannedStep,
  parent: Digest,
  firstMiss: PlannedStep | undefined,
  deps: KeyerDeps,
  filesOf: (() => string | FileRows) | undefined,
): Promise<void> {
  const { key, chainKey } = keysOf(p, parent);
  p.key = key;
  p.chainKey = chainKey;
  p.pending = undefined;
  const linked = isLink(p);
  p.decision = await decide(p, key, deps, linked ? undefined : firstMiss, p.stepOptions.base, filesOf);
  if (linked && p.decision.hit && firstMiss)
    p.decision = {
      ...p.decision,
      reason: `${p.decision.reason}; --link: independent of the layers below, which changed`,
    };
}

function isLink(p: PlannedStep): boolean {
  const ins = p.step.instruction;
  return (ins.kind === 'copy' || ins.kind === 'add') && ins.link;
}

/**
 * The record of a step with the same whole input (the filesystem below it, its operation,
 * its content inputs) whatever the steps above it were: early cutoff's lookup. Sets
 * `p.contentKey`. None for --link steps, whose key already names no parent.
 */
export async function lookupByContent(
  p: PlannedStep,
  chainBelow: Digest | undefined,
  deps: KeyerDeps,
): Promise<CacheRecord | undefined> {
  if (isLink(p) || deps.noCache) return undefined;
  const key = cacheKey({ parent: contentParent(chainBelow), op: p.keyInputs.op, inputs: p.keyInputs.inputs });
  p.contentKey = key;
  const rec = await deps.store.getCacheRecord<CacheRecord>(key);
  if (!rec) return undefined;
  if (rec.result.chainId !== undefined && (await deps.store.getLayer(rec.result.chainId)) === undefined)
    return undefined;
  return rec;
}

/**
 * Decides a step the plan left pending, once the stages it reads have run: the executor
 * calls it with the now-known parent key, the step that first missed in this stage (if
 * any) and the chains of finished stages.
 */
export async function decidePending(
  p: PlannedStep,
  parent: Digest,
  firstMiss: PlannedStep | undefined,
  chainOf: ChainOf,
  deps: KeyerDeps,
): Promise<void> {
  const waited = p.pending?.waitsFor ?? [];
  const missing = await fillResultInputs(p, chainOf, deps);
  if (missing.length > 0) throw new Error(`execute: ${p.name} still waits for ${JSON.stringify(missing)}`);
  await keyAndDecide(p, parent, firstMiss, deps, p.resultFiles);
  if (p.decision.hit && waited.length > 0 && (p.resultInputs?.length ?? 0) > 0) {
    const read = (p.resultInputs ?? [])
      .map((ri) => `${ri.sources.join(' ')} (${short(p.keyInputs.inputs[ri.name] ?? '')})`)
      .join(', ');
    p.decision = {
      ...p.decision,
      reason: `${p.decision.reason}; stage ${waited.join(', ')} reran, but what this step reads from it is unchanged: ${read}`,
    };
  }
}

const byInstruction = new WeakMap<KeyerDeps, Promise<Map<string, CacheRecord>>>();

/** The newest cache record per instruction text; read from the store once per plan, on demand. */
function recordsByInstruction(deps: KeyerDeps): Promise<Map<string, CacheRecord>> {
  let m = byInstruction.get(deps);
  if (!m) {
    m = deps.store.listCacheRecords<CacheRecord>().then((all) => {
      const out = new Map<string, CacheRecord>();
      for (const r of all) {
        if (r.options.contentKeyed) continue;
        const have = out.get(r.options.instruction);
        if (!have || have.createdAt < r.createdAt) out.set(r.options.instruction, r);
      }
      return out;
    });
    byInstruction.set(deps, m);
  }
  return m;
}

async function decide(
  p: PlannedStep,
  key: Digest,
  deps: KeyerDeps,
  firstMiss: PlannedStep | undefined,
  base: string,
  filesOf: (() => string | FileRows) | undefined,
): Promise<Decision> {
  const { store } = deps;
  const rec =
    deps.noCache && !deps.sharedKeys?.has(key) ? undefined : await store.getCacheRecord<CacheRecord>(key);
  if (rec && !firstMiss) {
    const layerOk =
      rec.result.chainId === undefined || (await store.getLayer(rec.result.chainId)) !== undefined;
    if (layerOk) {
      const when = rec.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
      // A key another platform of this command just built: the stage does not depend on the
      // target (FROM --platform=$BUILDPLATFORM with equal inputs), so it is built once.
      const shared = deps.sharedKeys?.has(key) && rec.options.platform !== undefined;
      const reason = shared
        ? `cache hit: the same step as for another target of this build (built once for ${rec.options.platform}, shared)`
        : `cache hit: made by build ${rec.options.buildId} at ${when}`;
      return { hit: true, record: rec, reason };
    }
  }
  // Only a miss needs its file list (for its record and to explain it): a hit never builds
  // it. Written out now, as the JSON its record stores (an empty list is not stored).
  const files = filesOf?.();
  const list = files === undefined ? undefined : new MissList(store, files);
  let d: Decision;
  try {
    d = await whyMissed(p, key, deps, firstMiss, base, rec, list);
  } catch (err) {
    await list?.discard();
    throw err;
  }
  p.filesStaged = list?.staged();
  return d;
}

/** The miss half of decide: why the step missed, comparing file lists through `list`. */
async function whyMissed(
  p: PlannedStep,
  key: Digest,
  deps: KeyerDeps,
  firstMiss: PlannedStep | undefined,
  base: string,
  rec: CacheRecord | undefined,
  list: MissList | undefined,
): Promise<Decision> {
  const { store } = deps;
  if (deps.noCache) return { hit: false, cause: 'no-cache', reason: '--no-cache was given', details: [] };
  if (firstMiss) {
    return {
      hit: false,
      cause: 'parent',
      reason: `the parent changed: cascade from ${firstMiss.name}, which missed`,
      details: [],
    };
  }
  // The last run of this step for this platform, else for any platform (the step index keeps
  // both: see stepIndexNames).
  const [own, any] = stepIndexNames(p);
  const prevKey = deps.stepIndex[own] ?? deps.stepIndex[any];
  let prev = prevKey && prevKey !== key ? await store.getCacheRecord<CacheRecord>(prevKey) : rec;
  // No record at this position (a step was inserted above it, or the Dockerfile moved): the
  // most recent record of the same instruction text explains it instead.
  prev ??= (await recordsByInstruction(deps)).get(p.stepOptions.instruction);
  const platform = p.stepOptions.platform;
  if (prev?.options.platform && platform && prev.options.platform !== platform) {
    // Each platform has its own chain of keys: the other platform's cache is not this one's.
    const detail = `${prev.options.platform} -> ${platform}`;
    return {
      hit: false,
      cause: 'platform',
      reason: `the platform changed (${detail}): each platform has its own cache, and this step has not run for ${platform} with these inputs`,
      details: [detail],
    };
  }
  if (prev && prev.keyInputs.parent !== p.keyInputs.parent && p.step.index === 0) {
    const was = prev.options.base;
    const detail = was ? `${was} -> ${base}` : `now ${base}`;
    return {
      hit: false,
      cause: 'base',
      reason: `the stage's starting point changed (base image or SOURCE_DATE_EPOCH): ${detail}`,
      details: [detail],
    };
  }
  let changes: FileChange[] | undefined;
  const oldList = prev?.filesBlob;
  if (oldList && list !== undefined && prev?.keyInputs.inputs.content !== p.keyInputs.inputs.content)
    changes = (await timed('list', () => list.compareWith(oldList))) ?? [];
  const e = explainMiss(prev, p.keyInputs, p.stepOptions.instruction, { changes });
  // Linking unchanged files from the last result needs the same operation on the same
  // parent: --chown names resolve against the parent's /etc/passwd.
  if (
    e.cause === 'sources' &&
    prev?.result.chainId &&
    prev.layerFiles &&
    prev.keyInputs.parent === p.keyInputs.parent
  ) {
    p.previous = { chainId: prev.result.chainId, layerFiles: prev.layerFiles };
  }
  if (e.cause === 'layer-missing' && rec)
    return { hit: false, ...e, reason: `the earlier result (${short(rec.key)}) is no longer in the store` };
  return { hit: false, ...e };
}
