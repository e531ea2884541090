/**
 * planBuild: walks the graph, replays metadata to know each step's exact operation,
 * computes every cache key and decides hit or miss with a reason. It reads the store and
 * the context (checksums) but writes nothing and runs nothing: `--dry-run` prints its
 * result. Keys depend only on inputs, never on results, so the whole plan exists before
 * the first step runs.
 */
import type { BuildGraph, Stage, Step } from '../../frontend/graph/types.js';
import type { Store } from '../../store/store.js';
import type { Digest } from '../oci/digest.js';
import type { ImageConfig } from '../oci/types.js';
import { cacheKey, rootKey } from './cache-key.js';
import type { StageState } from './config-apply.js';
import { applyStep, initStageState } from './config-apply.js';
import type { FileEntry } from './explain-miss.js';
import { explainMiss, short } from './explain-miss.js';
import { isUrl, stepOp } from './step-ops.js';
import type {
  CacheRecord,
  Decision,
  ImageState,
  KeyInputs,
  Plan,
  PlannedStage,
  PlannedStep,
  StepOptions,
} from './types.js';

export interface PlanDeps {
  store: Store;
  buildId: string;
  noCache: boolean;
  /** `linux/amd64`-style platform string of the target. */
  platform: string;
  /** Resolves a base image (memoised by the caller). */
  resolveImage(ref: string): Promise<{ id: Digest; state: ImageState }>;
  /**
   * Checksums the context files a COPY/ADD (or a RUN bind mount) selects. `files` may be a
   * getter that builds the list when read: the planner reads it only for a miss.
   */
  checksumSources(
    step: Step,
    sources: string[],
    exclude: string[],
    from?: string,
  ): Promise<{ digest: Digest; readonly files: FileEntry[] }>;
  /**
   * The content digest behind an `ADD <url>` (asked of the server once per build; see
   * core/copy/url-content.ts). Without it, URLs are keyed by their text.
   */
  resolveUrl?(url: string): Promise<{ digest: Digest }>;
  /** Whether a COPY --from name is a directory given with --build-context. */
  isNamedDir(name: string): boolean;
  /** Seconds; part of every stage's root key when set (see rootKey). */
  sourceDateEpoch?: number;
  /** Absolute path of the Dockerfile: with stage and position, it names "the same step" across builds. */
  dockerfilePath: string;
  /** stepId -> key of the most recent record of that step (meta/step-index.json). */
  stepIndex: Record<string, Digest>;
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
function labels(stage: Stage, stageLabel: string, multi: boolean): string[] {
  const counted = (s: Step) => ['run', 'copy', 'add', 'workdir'].includes(s.instruction.kind);
  const n = stage.steps.filter(counted).length + (stage.base.kind === 'image' ? 1 : 0);
  let i = stage.base.kind === 'image' ? 1 : 0;
  const width = String(n).length;
  return stage.steps.map((s) => {
    const text = s.source.replace(/\s*\\?\n\s*/g, ' ').trim();
    const prefix = s.fromOnBuild ? 'ONBUILD ' : '';
    if (!counted(s)) return `[${multi ? `${stageLabel} ` : ''}${s.instruction.kind}] ${prefix}${text}`;
    i++;
    return `[${multi ? `${stageLabel} ` : ''}${String(i).padStart(width)}/${n}] ${prefix}${text}`;
  });
}

export async function planBuild(graph: BuildGraph, deps: PlanDeps): Promise<Plan> {
  const planned = new Map<number, PlannedStage>();
  const finalConfigs = new Map<number, StageState>();
  const multi = graph.stages.length > 1;
  const out: PlannedStage[] = [];
  for (const stage of graph.stages) {
    const label = stage.name ?? `stage-${stage.index}`;
    let base: ImageState;
    let root: Digest;
    let baseDescription: string;
    let state: StageState;
    if (stage.base.kind === 'scratch') {
      base = { config: emptyImageConfig(deps.platform), chain: [] };
      root = rootKey({ scratch: true }, deps.platform, deps.sourceDateEpoch);
      baseDescription = 'scratch';
      state = initStageState(undefined, true);
    } else if (stage.base.kind === 'image') {
      const img = await deps.resolveImage(stage.base.ref);
      base = img.state;
      root = rootKey({ image: img.id }, deps.platform, deps.sourceDateEpoch);
      baseDescription = `${stage.base.ref}@${img.id}`;
      state = initStageState(base.config.config, false);
    } else {
      const from = planned.get(stage.base.index);
      const fromState = finalConfigs.get(stage.base.index);
      if (!from || !fromState) throw new Error(`plan: stage ${stage.base.index} planned after its dependant`);
      base = from.base; // the real chain is known only after that stage runs
      root = rootKey({ stage: from.finalKey }, deps.platform, deps.sourceDateEpoch);
      baseDescription = `stage ${from.label}`;
      state = { ...structuredClone(fromState), cmdSet: false };
    }
    // What else is in the root key, so a miss it causes is explained too.
    if (deps.sourceDateEpoch !== undefined) baseDescription += ` (SOURCE_DATE_EPOCH=${deps.sourceDateEpoch})`;
    const stageKey = (i: number): string => {
      const s = planned.get(i);
      if (!s) throw new Error(`plan: stage ${i} is not planned before its use`);
      return s.finalKey;
    };
    const names = labels(stage, label, multi);
    const steps: PlannedStep[] = [];
    let parent = root;
    let firstMiss: PlannedStep | undefined;
    for (const step of stage.steps) {
      const op = stepOp(step, state, deps.platform, stageKey);
      const inputs: Record<string, string> = {};
      let filesOf: (() => FileEntry[]) | undefined;
      const ins = step.instruction;
      if (ins.kind === 'copy' || ins.kind === 'add') {
        if (ins.from?.kind === 'stage') inputs.from = stageKey(ins.from.index);
        else if (ins.from?.kind === 'image' && deps.isNamedDir(ins.from.ref)) {
          const sum = await deps.checksumSources(step, ins.sources, ins.exclude, ins.from.ref);
          inputs.content = sum.digest;
          filesOf = () => sum.files;
        } else if (ins.from?.kind === 'image') inputs.from = (await deps.resolveImage(ins.from.ref)).id;
        else if (ins.sources.some((src) => !isUrl(src))) {
          const local = ins.sources.filter((src) => !isUrl(src));
          const sum = await deps.checksumSources(step, local, ins.exclude);
          inputs.content = sum.digest;
          filesOf = () => sum.files;
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
      const keyInputs: KeyInputs = { parent, op, inputs };
      const key = cacheKey(keyInputs);
      const stepOptions: StepOptions = {
        stepId: `${deps.dockerfilePath}#${label}#${step.index}`,
        file: graph.file,
        stage: label,
        position: step.index,
        instruction: step.source.replace(/\s*\\?\n\s*/g, ' ').trim(),
        buildId: deps.buildId,
        base: baseDescription,
      };
      const p: PlannedStep = {
        stage: stage.index,
        step,
        name: names[step.index],
        key,
        keyInputs,
        stepOptions,
        decision: undefined as unknown as Decision,
      };
      p.decision = await decide(p, deps, firstMiss, baseDescription, filesOf);
      if (!p.decision.hit && !firstMiss) firstMiss = p;
      steps.push(p);
      applyStep(state, step);
      parent = key;
    }
    const ps: PlannedStage = { stage, label, rootKey: root, base, baseDescription, steps, finalKey: parent };
    planned.set(stage.index, ps);
    finalConfigs.set(stage.index, state);
    out.push(ps);
  }
  return { graph, buildId: deps.buildId, stages: out };
}

const byInstruction = new WeakMap<PlanDeps, Promise<Map<string, CacheRecord>>>();

/** The newest cache record per instruction text; read from the store once per plan, on demand. */
function recordsByInstruction(deps: PlanDeps): Promise<Map<string, CacheRecord>> {
  let m = byInstruction.get(deps);
  if (!m) {
    m = deps.store.listCacheRecords<CacheRecord>().then((all) => {
      const out = new Map<string, CacheRecord>();
      for (const r of all) {
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
  deps: PlanDeps,
  firstMiss: PlannedStep | undefined,
  base: string,
  filesOf: (() => FileEntry[]) | undefined,
): Promise<Decision> {
  const { store } = deps;
  const rec = deps.noCache ? undefined : await store.getCacheRecord<CacheRecord>(p.key);
  if (rec && !firstMiss) {
    const layerOk =
      rec.result.chainId === undefined || (await store.getLayer(rec.result.chainId)) !== undefined;
    if (layerOk) {
      const when = rec.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
      return { hit: true, record: rec, reason: `cache hit: made by build ${rec.options.buildId} at ${when}` };
    }
  }
  // Only a miss needs its file list (for its record and to explain it): a hit never builds it.
  p.files = filesOf?.();
  if (deps.noCache) return { hit: false, cause: 'no-cache', reason: '--no-cache was given', details: [] };
  if (firstMiss) {
    return {
      hit: false,
      cause: 'parent',
      reason: `the parent changed: cascade from ${firstMiss.name}, which missed`,
      details: [],
    };
  }
  const prevKey = deps.stepIndex[p.stepOptions.stepId];
  let prev = prevKey && prevKey !== p.key ? await store.getCacheRecord<CacheRecord>(prevKey) : rec;
  // No record at this position (a step was inserted above it, or the Dockerfile moved): the
  // most recent record of the same instruction text explains it instead.
  prev ??= (await recordsByInstruction(deps)).get(p.stepOptions.instruction);
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
  let oldFiles: FileEntry[] | undefined;
  if (prev?.filesBlob && p.files && prev.keyInputs.inputs.content !== p.keyInputs.inputs.content) {
    oldFiles = await store.readJsonBlob<FileEntry[]>(prev.filesBlob).catch(() => undefined);
  }
  const e = explainMiss(prev, p.keyInputs, p.stepOptions.instruction, { oldFiles, newFiles: p.files });
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
