/**
 * build(): the whole pipeline for one `strata build`: read the Dockerfile, resolve base
 * images, convert to a graph, plan (every key and decision), then execute, store the image
 * config, tag it and export it. Each stage of that pipeline is its own module; this file
 * only wires them and owns the temporary directory of the build.
 */

import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { BaseImageInfo, BuildGraph } from '../../frontend/graph/types.js';
import { baseImageRefs, parse, toGraph } from '../../frontend/index.js';
import { formatLintWarning, lint } from '../../frontend/lint/index.js';
import type { Store } from '../../store/store.js';
import { rootKey } from '../cache/cache-key.js';
import { readDockerfile } from '../context/dockerfile-file.js';
import { normalizeRef } from '../image/reference.js';
import type { Digest } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import { hostPlatform } from '../oci/platform.js';
import { openBuildContext } from '../plan/build-context.js';
import type { NamedContext } from '../plan/named-contexts.js';
import { decidePending, lookupByContent, planBuild } from '../plan/planner.js';
import type { ImageState, Plan } from '../plan/types.js';
import type { ProgressSink } from '../progress/events.js';
import type { CacheSpec } from '../registry/cache-spec.js';
import type { ResolvedImage } from './base-image.js';
import { resolveImage } from './base-image.js';
import { describeDeadBuildSweep, makeBuildDir, sweepDeadBuilds } from './build-dirs.js';
import { attachLayers, makeReport, saveReport } from './build-report.js';
import type { SecretSource } from './exec-run.js';
import type { BuildResult, StepRunners } from './executor.js';
import { executePlan } from './executor.js';

export interface BuildOptions {
  contextDir: string;
  /** Dockerfile path; default `<context>/Dockerfile`. */
  dockerfile?: string;
  tags: string[];
  target?: string;
  buildArgs: Record<string, string>;
  noCache: boolean;
  dryRun: boolean;
  secrets: SecretSource[];
  /** `--allow`: entitlements a step may use (`security.insecure` for RUN --security=insecure). */
  allow?: string[];
  /** `--isolation`: runc (default), or chroot where the container is the sandbox. */
  isolation?: 'runc' | 'chroot';
  /** `--ssh`: agent sockets for RUN --mount=type=ssh, by id. */
  ssh?: { id: string; socket: string }[];
  /** `--pull`: ask the registry for every base image. */
  pull?: boolean;
  insecureRegistries?: string[];
  /** `--cache-from` / `--cache-to`: records and layers shared through a registry or a directory. */
  cacheFrom?: CacheSpec[];
  cacheTo?: CacheSpec[];
  /** `--build-context` overrides, by the name used in the Dockerfile. */
  namedContexts?: Map<string, NamedContext>;
  /** `linux/amd64` style. */
  platform: string;
  sourceDateEpoch?: number;
  /**
   * Early cutoff (beyond BuildKit, opt-in): reuse a step whose whole input (the filesystem
   * below it, its operation, its content inputs) is unchanged though a step above it reran.
   */
  earlyCutoff?: boolean;
  env: NodeJS.ProcessEnv;
  progress: ProgressSink;
  signal?: AbortSignal;
}

export interface BuildOutcome {
  plan: Plan;
  /** Undefined for a dry run. */
  result?: BuildResult;
  imageId?: Digest;
  tags: string[];
}

const STEP_INDEX = 'step-index.json';

/** Stand-in for a build with nothing to run: any call is a planner/executor disagreement. */
function noRunners(): StepRunners {
  const never = () => {
    throw new Error('execute: a step ran although the plan said every step hits');
  };
  return { copy: never, run: never, workdir: never, measure: never };
}

export async function build(store: Store, o: BuildOptions): Promise<BuildOutcome> {
  const contextDir = resolve(o.contextDir);
  const { path: dockerfile, text } = await readDockerfile(contextDir, o.dockerfile);
  const startedAt = new Date().toISOString();
  const tags = o.tags.map((t) => normalizeRef(t));
  const buildId = randomBytes(6).toString('hex');
  // Shown relative to where the user stands; the absolute path identifies steps across builds.
  const file = relative(process.cwd(), dockerfile) || dockerfile;
  const parsed = parse(text, { file });
  const graphOpts = {
    file,
    target: o.target,
    buildArgs: o.buildArgs,
    targetPlatform: o.platform,
    buildPlatform: hostPlatform(),
  };

  // Base images first: their ENV and ONBUILD take part in converting the Dockerfile.
  const images = new Map<string, ResolvedImage>();
  const named = o.namedContexts ?? new Map<string, NamedContext>();
  const lookup = async (ref: string) => {
    let img = images.get(ref);
    if (!img) {
      const over = named.get(ref);
      if (over?.kind === 'dir')
        throw new InvalidInputError(`--build-context ${ref}: a directory cannot be used as an image (FROM)`);
      let target = ref;
      let shown: string | undefined;
      if (over?.kind === 'image') target = shown = over.ref;
      else if (over?.kind === 'oci-layout') {
        const { loadNamedLayout } = await import('./named-layout.js');
        ({ id: target, shown } = await loadNamedLayout(store, ref, over));
      }
      img = await resolveImage(store, target, {
        pull: o.pull,
        platform: o.platform,
        insecureRegistries: o.insecureRegistries,
        env: o.env,
        onPull: (message) => o.progress({ type: 'info', message }),
      });
      if (shown) o.progress({ type: 'info', message: `using ${shown} for ${ref} (--build-context)` });
      images.set(ref, img);
    }
    return img;
  };
  const baseImages = new Map<string, BaseImageInfo>();
  // A base image's ONBUILD triggers can name more images (COPY --from=img): repeat until
  // no new reference appears.
  for (let grew = true; grew; ) {
    grew = false;
    for (const ref of baseImageRefs(parsed, { ...graphOpts, baseImages })) {
      if (ref === 'scratch' || baseImages.has(ref) || named.get(ref)?.kind === 'dir') continue;
      const img = await lookup(ref);
      const c = img.state.config.config ?? {};
      baseImages.set(ref, { env: c.Env ?? [], workingDir: c.WorkingDir, onBuild: c.OnBuild ?? undefined });
      grew = true;
    }
  }
  const graph: BuildGraph = toGraph(parsed, { ...graphOpts, baseImages });
  // Advice that teaches (the seed's COPY-before-install, missing cache mounts, BuildKit's
  // checks); `# check=error=true` makes it fatal, as in BuildKit.
  const advice = lint(parsed, graph);
  for (const w of advice) o.progress({ type: 'warning', message: formatLintWarning(file, w) });
  const fatal = advice.filter((w) => w.level === 'error');
  if (fatal.length > 0) {
    throw new InvalidInputError(
      `lint: ${fatal.length} check(s) failed and the Dockerfile says # check=error=true`,
    );
  }
  const linted = new Set(advice.map((w) => `${w.range.start.line}:${w.message}`));
  for (const w of graph.warnings) {
    if (w.range && linted.has(`${w.range.start.line}:${w.message}`)) continue;
    o.progress({
      type: 'warning',
      message: `${file}${w.range ? `:${w.range.start.line}` : ''}: ${w.message}`,
    });
  }
  if (graph.unusedBuildArgs.length > 0) {
    o.progress({
      type: 'warning',
      message: `build args not consumed by any ARG: ${graph.unusedBuildArgs.join(', ')}`,
    });
  }

  for (const spec of o.cacheFrom ?? []) {
    // A cache that cannot be read costs speed, not correctness: warn and build on.
    const { importCache } = await import('../registry/cache-import.js');
    const where = spec.location.type === 'local' ? spec.location.dir : spec.location.ref;
    try {
      const r = await importCache(store, spec.location, {
        mounts: spec.mounts,
        insecureRegistries: o.insecureRegistries,
        env: o.env,
      });
      o.progress({
        type: 'info',
        message: `imported cache from ${where}: ${r.records} records, ${r.layers} layers, ${r.mounts} cache mounts`,
      });
    } catch (err) {
      o.progress({ type: 'warning', message: `cache from ${where} not imported: ${(err as Error).message}` });
    }
  }
  const ctx = await openBuildContext(store, contextDir, dockerfile, named);
  // ADD <url>: one conditional request per URL per build, shared by planner and executor.
  let urlFetcher: Promise<import('../copy/url-content.js').UrlFetcher> | undefined;
  const resolveUrl = async (url: string) => {
    urlFetcher ??= import('../copy/url-content.js').then(({ UrlFetcher }) => new UrlFetcher(store));
    return (await urlFetcher).resolve(url);
  };
  const stepIndexText = (await store.readMeta(STEP_INDEX))?.toString() ?? '{}';
  const stepIndex = JSON.parse(stepIndexText) as Record<string, Digest>;
  // The content key of COPY --from and of mounts with from=: the selected paths of a result.
  const checksumResult = async (chain: Digest[], sources: string[], exclude: string[], parents: boolean) => {
    const { LayerSource } = await import('../copy/layer-source.js');
    const src = await LayerSource.open(chain.map((c) => store.diffPath(c)).reverse(), {
      metaStore: { readMeta: (n) => store.readMeta(n), writeMeta: (n, data) => store.writeMeta(n, data) },
    });
    return (await src.resolveSources(sources, { exclude, parents })).checksum();
  };
  const keyerDeps = { store, noCache: o.noCache, stepIndex, checksumResult, earlyCutoff: o.earlyCutoff };
  const plan = await planBuild(graph, {
    ...keyerDeps,
    buildId,
    platform: o.platform,
    resolveImage: lookup,
    checksumSources: ctx.checksum,
    resolveUrl,
    isNamedDir: ctx.isNamedDir,
    dockerfilePath: dockerfile,
  });
  if (o.dryRun) return { plan, tags };

  // The CLI sweeps when it opens the store; a library caller may not have.
  if (store.deadBuildCandidates.length > 0) {
    const swept = describeDeadBuildSweep(await sweepDeadBuilds(store));
    if (swept) o.progress({ type: 'warning', message: swept });
  }
  const tmp = await makeBuildDir(store.root);
  const stageStates = new Map<number, ImageState>();
  let vertex = 0;
  try {
    const secrets = new Map<string, SecretSource>();
    for (const s of o.secrets) {
      if (!s.src && !s.env) throw new InvalidInputError(`--secret id=${s.id}: needs src=FILE or env=VAR`);
      secrets.set(s.id, s);
    }
    // Loaded only when something will run: a fully cached build needs none of it.
    const anyMiss = plan.stages.some((st) => st.steps.some((p) => !p.decision.hit));
    const { makeRunners } = anyMiss ? await import('./runners.js') : { makeRunners: noRunners };
    const result = await executePlan(plan, {
      store,
      progress: o.progress,
      sourceDateEpoch: o.sourceDateEpoch,
      now: () => new Date(),
      onStage: (index, state) => stageStates.set(index, state),
      onVertex: (id) => {
        vertex = id;
      },
      decidePending: (p, parent, firstMiss, chainOf) =>
        decidePending(p, parent, firstMiss, chainOf, keyerDeps),
      stageRootKey: (from) => rootKey({ stage: from }, o.platform),
      imageChain: async (ref) => (await lookup(ref)).state.chain,
      lookupByContent: (p, below) => lookupByContent(p, below, keyerDeps),
      earlyCutoff: o.earlyCutoff,
      runners: makeRunners({
        store,
        ctx,
        tmpDir: tmp,
        secrets,
        allow: new Set(o.allow ?? []),
        isolation: o.isolation,
        ssh: new Map((o.ssh ?? []).map((a) => [a.id, a.socket])),
        env: o.env,
        extraEnv: (graph.proxyEnv ?? []).map(([k, v]) => `${k}=${v}`),
        signal: o.signal,
        progress: o.progress,
        lookupImage: lookup,
        stageStates,
        currentVertex: () => vertex,
        resolveUrl,
      }),
    });
    const would = plan.stages.flatMap((st) => st.steps).filter((p) => p.wouldCutoffMs !== undefined);
    if (would.length > 0) {
      const s = would.reduce((t, p) => t + (p.wouldCutoffMs ?? 0), 0) / 1000;
      o.progress({
        type: 'info',
        message: `early cutoff: ${would.length} step(s) reran with the same input as an earlier run; --early-cutoff would have reused them (about ${s.toFixed(1)}s of run time)`,
      });
    }
    const configBytes = JSON.stringify(result.config);
    const { digest: imageId } = await store.putBlob(configBytes);
    for (const t of tags) await store.setRef(t, { config: imageId });
    for (const ps of plan.stages)
      for (const p of ps.steps) if (p.key) stepIndex[p.stepOptions.stepId] = p.key;
    const nextIndex = JSON.stringify(stepIndex);
    if (nextIndex !== stepIndexText) await store.writeMeta(STEP_INDEX, nextIndex);
    const report = makeReport(plan, { startedAt, dryRun: false, tags, imageId, result });
    await attachLayers(store, report);
    await saveReport(store, report);
    for (const spec of o.cacheTo ?? []) {
      const { exportCache } = await import('../registry/cache-export.js');
      // Content keys too: a fresh machine importing this cache can cut off early as well.
      const keys = plan.stages.flatMap((st) =>
        st.steps.flatMap((p) => [p.key, p.contentKey].filter((k): k is Digest => k !== undefined)),
      );
      const r = await exportCache(store, spec.location, {
        keys,
        mounts: spec.mounts,
        insecureRegistries: o.insecureRegistries,
        env: o.env,
      });
      const where = spec.location.type === 'local' ? spec.location.dir : spec.location.ref;
      o.progress({
        type: 'info',
        message: `exported cache to ${where}: ${r.records} records, ${r.layers} layers, ${r.mounts} cache mounts`,
      });
    }
    return { plan, result, imageId, tags };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
