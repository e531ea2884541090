/**
 * build(): the whole pipeline for one `strata build`: read the Dockerfile, resolve base
 * images, convert to a graph, plan (every key and decision), then execute, store the image
 * config, tag it and export it. Each stage of that pipeline is its own module; this file
 * only wires them and owns the temporary directory of the build.
 */

import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { BaseImageInfo, BuildGraph } from '../../frontend/graph/types.js';
import { baseImageUses, parse, toGraph } from '../../frontend/index.js';
import { formatLintWarning, lint } from '../../frontend/lint/index.js';
import type { Store } from '../../store/store.js';
import { rootKey } from '../cache/cache-key.js';
import { readDockerfile } from '../context/dockerfile-file.js';
import { normalizeRef } from '../image/reference.js';
import type { Digest } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import { canonicalPlatform, hostPlatform } from '../oci/platform.js';
import { openBuildContext } from '../plan/build-context.js';
import { discardStagedLists } from '../plan/miss-list.js';
import type { NamedContext } from '../plan/named-contexts.js';
import { decidePending, lookupByContent, planBuild, stepIndexNames } from '../plan/planner.js';
import type { ImageState, Plan } from '../plan/types.js';
import type { ProgressSink } from '../progress/events.js';
import { collectIfLarge } from '../progress/heap.js';
import { mark, timed } from '../progress/timings.js';
import type { CacheSpec } from '../registry/cache-spec.js';
import type { ResolvedImage } from './base-image.js';
import { resolveImage } from './base-image.js';
import { describeDeadBuildSweep, makeBuildDir, sweepDeadBuilds } from './build-dirs.js';
import { attachLayers, makeReport, saveReport } from './build-report.js';
import type { SecretSource } from './exec-run.js';
import type { BuildResult, StepRunners } from './executor.js';
import { executePlan } from './executor.js';
import { PullVertices } from './pull-vertices.js';

export interface BuildOptions {
  contextDir: string;
  /** Dockerfile path; default `<context>/Dockerfile`. */
  dockerfile?: string;
  /**
   * The Dockerfile's text when the caller has read it already (`-f -` reads stdin, bounded).
   * `dockerfile` then only names it across builds (step ids, the `<name>.dockerignore`
   * lookup); without one, the name is `<context>/-`, a path never read.
   */
  dockerfileText?: string;
  /**
   * The Dockerfile as the user named it, for messages (lint advice, parse errors): the `-f`
   * path as typed, else CONTEXT/Dockerfile. Default: its path relative to the process cwd.
   */
  dockerfileName?: string;
  tags: string[];
  /** `--label`: set on the final image's config after the Dockerfile's own LABELs (BuildKit's `label:` attrs). */
  labels?: Record<string, string>;
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
  /** `linux/amd64` style (canonicalPlatform). */
  platform: string;
  /** `--network`: the mode of RUN steps that name none (GraphOptions.networkMode). */
  network?: 'default' | 'none' | 'host';
  /** Several platforms build in this command: labels name each step's platform. */
  platformLabels?: boolean;
  /**
   * Keys already built by this command for another platform (a `FROM --platform=$BUILDPLATFORM`
   * stage is the same for every target): they hit even under --no-cache, built once per command.
   */
  sharedKeys?: Set<Digest>;
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
  /** How many reports the store has written, counting this build's; undefined when it wrote none. */
  reportsWritten?: number;
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
  const { path: dockerfile, text } =
    o.dockerfileText === undefined
      ? await readDockerfile(contextDir, o.dockerfile)
      : { path: o.dockerfile ?? join(contextDir, '-'), text: o.dockerfileText };
  const startedAt = new Date().toISOString();
  const tags = o.tags.map((t) => normalizeRef(t));
  const buildId = randomBytes(6).toString('hex');
  // Shown relative to where the user stands; the absolute path identifies steps across builds.
  const file = o.dockerfileName ?? (relative(process.cwd(), dockerfile) || dockerfile);
  const parsed = parse(text, { file });
  const graphOpts = {
    file,
    target: o.target,
    buildArgs: o.buildArgs,
    targetPlatform: o.platform,
    buildPlatform: hostPlatform(),
    networkMode: o.network,
  };

  // Base images first: their ENV and ONBUILD take part in converting the Dockerfile.
  const images = new Map<string, ResolvedImage>();
  // A pull before the steps run is a vertex of its own, with byte progress (pull-vertices.ts).
  const pulls = new PullVertices(o.progress);
  const named = o.namedContexts ?? new Map<string, NamedContext>();
  const lookup = async (ref: string, platform = o.platform) => {
    const memo = `${platform} ${ref}`;
    let img = images.get(memo);
    if (!img) {
      const over = named.get(ref);
      if (over?.kind === 'dir')
        throw new InvalidInputError(`--build-context ${ref}: a directory cannot be used as an image (FROM)`);
      let target = ref;
      let shown: string | undefined;
      if (over?.kind === 'image') target = shown = over.ref;
      else if (over?.kind === 'oci-layout') {
        const { loadNamedLayout } = await import('./named-layout.js');
        ({ id: target, shown } = await loadNamedLayout(store, ref, over, platform));
      }
      try {
        img = await resolveImage(store, target, {
          pull: o.pull,
          platform,
          insecureRegistries: o.insecureRegistries,
          env: o.env,
          ...pulls.options(target),
        });
      } finally {
        pulls.end();
      }
      if (shown) o.progress({ type: 'info', message: `using ${shown} for ${ref} (--build-context)` });
      images.set(memo, img);
    }
    return img;
  };
  const baseImages = new Map<string, BaseImageInfo>();
  // A base image's ONBUILD triggers can name more images (COPY --from=img): repeat until
  // no new reference appears.
  for (let grew = true; grew; ) {
    grew = false;
    for (const { ref, platform } of baseImageUses(parsed, { ...graphOpts, baseImages })) {
      if (ref === 'scratch' || baseImages.has(ref) || named.get(ref)?.kind === 'dir') continue;
      const img = await lookup(ref, platform === undefined ? o.platform : canonicalPlatform(platform));
      const c = img.state.config.config ?? {};
      baseImages.set(ref, { env: c.Env ?? [], workingDir: c.WorkingDir, onBuild: c.OnBuild ?? undefined });
      grew = true;
    }
  }
  const graph: BuildGraph = toGraph(parsed, { ...graphOpts, baseImages });
  if (parsed.directives.syntax !== undefined)
    o.progress({ type: 'info', message: syntaxNotice(parsed.directives.syntax) });
  // Advice that teaches (the seed's COPY-before-install, missing cache mounts, BuildKit's
  // checks); `# check=error=true` makes it fatal, as in BuildKit. Printed once something
  // runs (or would, for --dry-run): a fully cached build repeats nothing it said before.
  const advice = lint(parsed, graph);
  const giveAdvice = () => {
    for (const w of advice) o.progress({ type: 'warning', message: formatLintWarning(file, w) });
  };
  const fatal = advice.filter((w) => w.level === 'error');
  if (fatal.length > 0) {
    giveAdvice();
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
  mark('context');
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
      metaStore: store,
    });
    return (await src.resolveSources(sources, { exclude, parents })).checksum();
  };
  mark('plan');
  const keyerDeps = {
    store,
    noCache: o.noCache,
    stepIndex,
    checksumResult,
    earlyCutoff: o.earlyCutoff,
    sharedKeys: o.sharedKeys,
  };
  const plan = await planBuild(graph, {
    ...keyerDeps,
    buildId,
    platform: o.platform,
    platformLabels: o.platformLabels,
    resolveImage: lookup,
    checksumSources: ctx.checksum,
    resolveUrl,
    isNamedDir: ctx.isNamedDir,
    dockerfilePath: dockerfile,
  });
  // Every checksum of the context is known now: the copies need not keep its stat cache.
  await ctx.releaseCaches();
  const anyMiss = plan.stages.some((st) => st.steps.some((p) => !p.decision.hit));
  // Planning's garbage goes before any step runs (heap.ts says why; a no-op ends here anyway).
  if (anyMiss && !o.dryRun) await timed('gc', collectIfLarge);
  if (o.dryRun) {
    await discardStagedLists(plan.stages.flatMap((st) => st.steps));
    if (anyMiss) giveAdvice();
    return { plan, tags };
  }

  // The CLI sweeps when it opens the store; a library caller may not have.
  if (store.deadBuildCandidates.length > 0) {
    const swept = describeDeadBuildSweep(await sweepDeadBuilds(store));
    if (swept) o.progress({ type: 'warning', message: swept });
  }
  // Loaded and made only when something will run: a fully cached build needs none of it
  // (and so writes nothing to run in).
  const tmp = anyMiss ? await makeBuildDir(store.root) : undefined;
  // Last use moves on for every record this build reuses (the GC drops the least recently
  // used first); the GC keeps what a live build (one with a build dir) has touched since it
  // started. A build that runs nothing has no build dir and writes nothing: it moves a
  // record's last use only when that is more than 10 minutes old.
  const usedRecords = () =>
    plan.stages.flatMap((st) => st.steps.flatMap((p) => (p.decision.hit ? [p.decision.record.key] : [])));
  await store.touchCacheRecords(usedRecords(), new Date(), tmp === undefined ? 10 * 60_000 : undefined);
  const stageStates = new Map<number, ImageState>();
  let vertex = 0;
  try {
    const secrets = new Map<string, SecretSource>();
    for (const s of o.secrets) {
      if (!s.src && !s.env) throw new InvalidInputError(`--secret id=${s.id}: needs src=FILE or env=VAR`);
      secrets.set(s.id, s);
    }
    pulls.executing = true;
    mark('execute');
    const result = await executePlan(plan, {
      store,
      firstVertex: pulls.count,
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
      runners:
        tmp === undefined
          ? noRunners()
          : (await import('./runners.js')).makeRunners({
              store,
              ctx,
              tmpDir: tmp,
              secrets,
              allow: new Set(o.allow ?? []),
              isolation: o.isolation,
              ssh: new Map((o.ssh ?? []).map((a) => [a.id, a.socket])),
              env: o.env,
              extraEnv: (graph.proxyEnv ?? []).map(([k, v]) => `${k}=${v}`),
              hostname: o.buildArgs.BUILDKIT_SANDBOX_HOSTNAME || undefined,
              signal: o.signal,
              progress: o.progress,
              lookupImage: lookup,
              stageStates,
              currentVertex: () => vertex,
              resolveUrl,
            }),
    }).catch((err) => {
      giveAdvice(); // a step ran (and failed): the advice may be why
      throw err;
    });
    if (result.misses > 0) giveAdvice();
    // Pending keys decided as hits during execution; as above, a build that ran nothing writes nothing.
    await store.touchCacheRecords(usedRecords(), new Date(), tmp === undefined ? 10 * 60_000 : undefined);
    const would = plan.stages.flatMap((st) => st.steps).filter((p) => p.wouldCutoffMs !== undefined);
    if (would.length > 0) {
      const s = would.reduce((t, p) => t + (p.wouldCutoffMs ?? 0), 0) / 1000;
      o.progress({
        type: 'info',
        message: `early cutoff: ${would.length} step(s) reran with the same input as an earlier run; --early-cutoff would have reused them (about ${s.toFixed(1)}s of run time)`,
      });
    }
    if (o.labels && Object.keys(o.labels).length > 0) {
      result.config.config = {
        ...result.config.config,
        Labels: { ...result.config.config?.Labels, ...o.labels },
      };
    }
    mark('record');
    const configBytes = JSON.stringify(result.config);
    const { digest: imageId } = await store.putBlob(configBytes);
    for (const t of tags) await store.setRef(t, { config: imageId });
    for (const ps of plan.stages)
      for (const p of ps.steps) if (p.key) for (const n of stepIndexNames(p)) stepIndex[n] = p.key;
    const nextIndex = JSON.stringify(stepIndex);
    if (nextIndex !== stepIndexText) await store.writeMeta(STEP_INDEX, nextIndex);
    const report = makeReport(plan, { startedAt, dryRun: false, tags, imageId, result });
    await attachLayers(store, report);
    const reportsWritten = await saveReport(store, report);
    await exportBuildCache(store, [plan], o);
    return { plan, result, imageId, tags, reportsWritten };
  } finally {
    // Lists staged for steps that did not run (a failure stopped the build first).
    await discardStagedLists(plan.stages.flatMap((st) => st.steps));
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The notice for a `# syntax=` line: strata never fetches a frontend image; it parses every
 * Dockerfile itself, with the syntax of BuildKit's built-in frontend (docker/dockerfile:1).
 */
export function syntaxNotice(syntax: string): string {
  return `# syntax=${syntax} is not fetched: strata parses Dockerfiles itself, with the docker/dockerfile:1 syntax (heredocs, RUN --mount, COPY --link, # check=) and no frontend image`;
}

/**
 * `--cache-to`: the records of these plans (one per platform of a multi-platform build), in
 * one export per destination, so a local cache dir gets every platform's entries at once.
 */
export async function exportBuildCache(
  store: Store,
  plans: Plan[],
  o: Pick<BuildOptions, 'cacheTo' | 'insecureRegistries' | 'env' | 'progress'>,
): Promise<void> {
  for (const spec of o.cacheTo ?? []) {
    const { exportCache } = await import('../registry/cache-export.js');
    // Content keys too: a fresh machine importing this cache can cut off early as well.
    const keys = plans.flatMap((plan) =>
      plan.stages.flatMap((st) =>
        st.steps.flatMap((p) => [p.key, p.contentKey].filter((k): k is Digest => k !== undefined)),
      ),
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
}
