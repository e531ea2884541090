/**
 * `strata build`: flags shaped like `docker build` so muscle memory works. Parses flags,
 * calls core's build(), renders progress, then writes any --output.
 */

import { resolve } from 'node:path';
import type { BuildOutcome } from '../core/exec/build.js';
import type { Digest } from '../core/oci/digest.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { canonicalPlatform, hostPlatform, parsePlatformList } from '../core/oci/platform.js';
import { parseNamedContexts } from '../core/plan/named-contexts.js';
import type { ProgressSink } from '../core/progress/events.js';
import type { ProgressMode } from '../core/progress/renderer.js';
import { mark } from '../core/progress/timings.js';
import { openStore, parseBuildArgs, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

const OPTIONS = {
  ...ROOT_OPTION,
  file: { type: 'string', short: 'f' },
  tag: { type: 'string', short: 't', multiple: true },
  label: { type: 'string', multiple: true },
  target: { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  'no-cache': { type: 'boolean' },
  'early-cutoff': { type: 'boolean' },
  progress: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  output: { type: 'string', short: 'o', multiple: true },
  secret: { type: 'string', multiple: true },
  allow: { type: 'string', multiple: true },
  isolation: { type: 'string' },
  ssh: { type: 'string', multiple: true },
  platform: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'build-context': { type: 'string', multiple: true },
  'cache-from': { type: 'string', multiple: true },
  'cache-to': { type: 'string', multiple: true },
  pull: { type: 'boolean' },
  push: { type: 'boolean' },
  'insecure-registry': { type: 'string', multiple: true },
  explain: { type: 'boolean' },
  iidfile: { type: 'string' },
  network: { type: 'string' },
  'metadata-file': { type: 'string' },
} as const;

/**
 * `--ssh ID[=SOCKET]` as docker build takes it: an agent socket for RUN --mount=type=ssh,id=ID
 * (ID `default` when the mount names none); without a path, $SSH_AUTH_SOCK.
 */
async function parseSsh(specs: string[], env: NodeJS.ProcessEnv): Promise<{ id: string; socket: string }[]> {
  const out: { id: string; socket: string }[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const id = eq < 0 ? spec : spec.slice(0, eq);
    const socket = eq < 0 ? env.SSH_AUTH_SOCK : spec.slice(eq + 1);
    if (id === '' || !/^[A-Za-z0-9._-]+$/.test(id))
      throw new InvalidInputError(`--ssh ${JSON.stringify(spec)}: want ID[=SOCKET]`);
    if (!socket) throw new InvalidInputError(`--ssh ${id}: no socket given and SSH_AUTH_SOCK is not set`);
    if (socket.includes(',')) throw new InvalidInputError(`--ssh ${id}: one agent socket per id`);
    const { checkAgentSocket } = await import('../core/runtime/ssh-agent-proxy.js');
    await checkAgentSocket(id, socket);
    out.push({ id, socket });
  }
  return out;
}

/** `--label KEY=VALUE` (repeatable; a bare KEY sets an empty value, as docker build does). */
export function parseLabels(specs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of specs) {
    const eq = s.indexOf('=');
    const key = eq < 0 ? s : s.slice(0, eq);
    if (key === '') throw new InvalidInputError(`--label ${JSON.stringify(s)}: want KEY=VALUE`);
    out[key] = eq < 0 ? '' : s.slice(eq + 1);
  }
  return out;
}

/** Docker's CSV flag values: `type=docker,dest=out.tar`. */
export function parseCsv(flag: string, s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0)
      throw new InvalidInputError(
        `${flag} ${JSON.stringify(s)}: expected key=value pairs separated by commas`,
      );
    out[part.slice(0, i).trim().toLowerCase()] = part.slice(i + 1);
  }
  return out;
}

export interface OutputSpec {
  type: 'docker' | 'oci' | 'oci-dir' | 'local';
  dest: string;
  /** BuildKit's `rewrite-timestamp=true`: layer times clamped to SOURCE_DATE_EPOCH. */
  rewriteTimestamp?: boolean;
  /** `platform=`: export only this platform of a multi-platform build. */
  platform?: string;
}

export function parseOutput(s: string): OutputSpec {
  const kv = s.includes('=') ? parseCsv('--output', s) : { type: 'local', dest: s };
  const type = kv.type;
  if (type !== 'docker' && type !== 'oci' && type !== 'oci-dir' && type !== 'local') {
    throw new InvalidInputError(
      `--output: unknown type ${JSON.stringify(type)} (want docker, oci, oci-dir or local)`,
    );
  }
  if (!kv.dest) throw new InvalidInputError(`--output type=${type}: dest= is required`);
  const rw = kv['rewrite-timestamp'];
  if (rw !== undefined && rw !== 'true' && rw !== 'false')
    throw new InvalidInputError(`--output rewrite-timestamp=${rw}: want true or false`);
  return {
    type,
    dest: kv.dest,
    ...(rw === 'true' ? { rewriteTimestamp: true } : {}),
    ...(kv.platform !== undefined ? { platform: canonicalPlatform(kv.platform) } : {}),
  };
}

async function cacheSpecs(list: string[] | undefined) {
  if (!list || list.length === 0) return [];
  const { parseCacheSpec } = await import('../core/registry/cache-spec.js');
  return list.map(parseCacheSpec);
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('build', args, OPTIONS);
  if (positionals.length !== 1)
    throw new InvalidInputError(
      'build: usage: strata build [OPTIONS] CONTEXT (exactly one context directory)',
    );
  const progressMode = (values.quiet ? 'quiet' : (values.progress ?? 'auto')) as ProgressMode;
  if (!['auto', 'plain', 'tty', 'quiet', 'rawjson'].includes(progressMode))
    throw new InvalidInputError(
      `--progress: want auto, plain, tty, quiet or rawjson, not ${JSON.stringify(values.progress)}`,
    );
  const network = (values.network ?? 'default') as 'default' | 'host' | 'none';
  // docker build's flag. A user-defined network needs a daemon to own it; strata has none.
  if (network !== 'default' && network !== 'host' && network !== 'none')
    throw new InvalidInputError(
      `--network ${JSON.stringify(network)}: want default, host or none (strata has no daemon to own a named network; default already shares the host's network)`,
    );
  const outputs = (values.output ?? []).map(parseOutput);
  const secrets = (values.secret ?? []).map((s) => {
    const kv = parseCsv('--secret', s);
    if (!kv.id) throw new InvalidInputError(`--secret ${JSON.stringify(s)}: id= is required`);
    return { id: kv.id, src: kv.src ?? kv.source, env: kv.env };
  });
  // BuildKit's entitlements; strata gates only what it implements.
  for (const a of values.allow ?? []) {
    if (a !== 'security.insecure')
      throw new InvalidInputError(`--allow ${JSON.stringify(a)}: the one entitlement is security.insecure`);
  }
  const ssh = await parseSsh(values.ssh ?? [], io.env);
  // BuildKit/buildah's word: how RUN steps are isolated. STRATA_ISOLATION sets the default,
  // so a CI image can say it once.
  const isolation = values.isolation ?? io.env.STRATA_ISOLATION ?? 'runc';
  if (isolation !== 'runc' && isolation !== 'chroot')
    throw new InvalidInputError(`--isolation ${JSON.stringify(isolation)}: want runc or chroot`);
  // BuildKit's build-arg, or the environment variable as buildx passes it on; given either
  // way, a stage that declares `ARG SOURCE_DATE_EPOCH` sees it (and its RUN steps too).
  const buildArgs = parseBuildArgs(values['build-arg'], io.env);
  const sde = buildArgs.SOURCE_DATE_EPOCH ?? io.env.SOURCE_DATE_EPOCH;
  if (sde !== undefined && !/^\d+$/.test(sde))
    throw new InvalidInputError(`SOURCE_DATE_EPOCH=${sde}: want whole seconds since 1970`);
  if (sde !== undefined) buildArgs.SOURCE_DATE_EPOCH = sde;
  const epoch = sde === undefined ? undefined : Number(sde);

  // Read first (`-f -` takes stdin whole, bounded, as docker build does), and named as the
  // user gave it: `-f` as typed, else CONTEXT/Dockerfile (or the lowercase name found).
  const { readDockerfile } = await import('./read-dockerfile.js');
  const dockerfile = await readDockerfile(values.file, positionals[0], io);
  const platforms = parsePlatformList(values.platform ?? hostPlatform());
  // Checked before building: an output that cannot hold what the build makes should not cost
  // the build first.
  for (const o of outputs) {
    if (o.platform !== undefined && !platforms.includes(o.platform))
      throw new InvalidInputError(
        `--output type=${o.type},platform=${o.platform}: the build makes ${platforms.join(', ')}`,
      );
    if (platforms.length > 1 && o.platform === undefined && (o.type === 'docker' || o.type === 'local')) {
      const { DOCKER_ONE_PLATFORM } = await import('../core/export/export-archive.js');
      throw new InvalidInputError(
        o.type === 'docker'
          ? `--output type=docker with --platform ${platforms.join(',')}: ${DOCKER_ONE_PLATFORM.replace(/^export docker: /, '')}`
          : `--output type=local with --platform ${platforms.join(',')}: one directory holds one platform; add platform=${platforms[0]} (or one output per platform)`,
      );
    }
  }
  const { build } = await import('../core/exec/build.js');
  const { makeRenderer } = await import('../core/progress/renderer.js');
  mark('store');
  const store = await openStore(values.root, io);
  mark('frontend');
  const renderer = makeRenderer(progressMode, io.stderr);
  // The view stays open through exports and pushes (they are vertices too, with byte
  // progress); what the build says after its steps goes through it, so the tty view is not
  // drawn over and every line of --progress=rawjson stays JSON.
  let lastVertex = 0;
  const progress: ProgressSink = (e) => {
    if ('id' in e && e.id > lastVertex) lastVertex = e.id;
    renderer.sink(e);
  };
  const say = (line: string) => progress({ type: 'info', message: line });
  // A safety warning is said even with -q; through the view otherwise, so rawjson stays JSON.
  if (isolation === 'chroot') {
    const message =
      '--isolation=chroot: RUN steps are not sandboxed; the container strata runs in is the sandbox';
    if (progressMode === 'quiet') io.stderr.write(`strata: ${message}\n`);
    else progress({ type: 'warning', message });
  }
  /** Work after the steps (an export, a push) as a vertex of its own: a timer, done or error. */
  const asVertex = async (name: string, work: (id: number) => Promise<void>) => {
    const id = ++lastVertex;
    progress({ type: 'vertex-start', id, name, time: Date.now() });
    try {
      await work(id);
    } catch (err) {
      progress({ type: 'vertex-error', id, message: (err as Error).message, time: Date.now() });
      throw err;
    }
    progress({ type: 'vertex-done', id, time: Date.now() });
  };
  const ac = new AbortController();
  const onSignal = () => ac.abort(new Error('build interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const opts: Omit<import('../core/exec/build.js').BuildOptions, 'platform'> = {
      contextDir: resolve(io.cwd, positionals[0]),
      dockerfile: dockerfile.path,
      dockerfileText: dockerfile.text,
      dockerfileName: dockerfile.file,
      tags: values.tag ?? [],
      labels: parseLabels(values.label ?? []),
      target: values.target,
      buildArgs,
      noCache: values['no-cache'] ?? false,
      earlyCutoff: values['early-cutoff'] ?? false,
      dryRun: values['dry-run'] ?? false,
      secrets,
      allow: values.allow ?? [],
      isolation,
      ssh,
      network,
      sourceDateEpoch: epoch,
      env: io.env,
      namedContexts: parseNamedContexts(values['build-context'] ?? [], io.cwd),
      pull: values.pull ?? false,
      cacheFrom: await cacheSpecs(values['cache-from']),
      cacheTo: await cacheSpecs(values['cache-to']),
      insecureRegistries: values['insecure-registry'] ?? [],
      progress,
      signal: ac.signal,
    };
    // One platform builds as always; several build in turn and are named together.
    let built: (BuildOutcome & { platform: string })[];
    let tags: string[];
    if (platforms.length === 1) {
      const r = await build(store, { ...opts, platform: platforms[0] });
      built = [{ ...r, platform: platforms[0] }];
      tags = r.tags;
    } else {
      const { buildPlatforms } = await import('../core/exec/build-platforms.js');
      ({ platforms: built, tags } = await buildPlatforms(store, opts, platforms));
    }
    mark('finish');
    if (values['dry-run'] || values.explain) {
      const { formatPlan } = await import('../core/plan/format-plan.js');
      for (const b of built) {
        if (built.length > 1) io.stdout.write(`# ${b.platform}\n`);
        io.stdout.write(formatPlan(b.plan, { dryRun: values['dry-run'] ?? false }));
      }
    }
    if (built.some((b) => !b.imageId)) return 0;
    const imageOf = (platform: string) => {
      const b = built.find((x) => x.platform === platform);
      if (!b?.imageId)
        throw new InvalidInputError(
          `--output platform=${platform}: this build made ${built.map((x) => x.platform).join(', ')}`,
        );
      return b.imageId;
    };
    for (const o of outputs) {
      const { writeOutput } = await import('../core/export/write-output.js');
      // As BuildKit: the image exporters rewrite layer times only when asked; the local
      // exporter writes files with the epoch's times whenever SOURCE_DATE_EPOCH is set.
      if (o.rewriteTimestamp && epoch === undefined)
        throw new InvalidInputError('--output rewrite-timestamp=true: set SOURCE_DATE_EPOCH too');
      let images = o.platform !== undefined ? [imageOf(o.platform)] : built.map((b) => b.imageId as Digest);
      if (epoch !== undefined && (o.rewriteTimestamp || o.type === 'local')) {
        const { rewriteTimestamps } = await import('../core/export/rewrite-timestamps.js');
        const rewritten: Digest[] = [];
        for (const c of images) rewritten.push(await rewriteTimestamps(store, c, epoch));
        images = rewritten;
      }
      await asVertex(`exporting ${o.type} to ${o.dest}`, (id) => {
        // An archive's bytes as they reach the file (at most every 100 ms, then once done).
        let last = 0;
        return writeOutput(store, { config: images[0], platforms: images }, o, tags, (written, done) => {
          const now = Date.now();
          if (!done && now - last < 100) return;
          last = now;
          progress({
            type: 'vertex-status',
            id,
            text: 'writing',
            statusId: 'write',
            current: written,
            total: done ? written : undefined,
            completed: done,
          });
        });
      });
    }
    let pushed: import('../core/oci/types.js').Descriptor | undefined;
    if (values.push) {
      if (tags.length === 0) throw new InvalidInputError('build --push: name the image with -t');
      const { pushImage, pushImageIndex } = await import('../core/registry/push-image.js');
      for (const t of tags) {
        await asVertex(`pushing ${t}`, async (id) => {
          const push = {
            insecureRegistries: values['insecure-registry'] ?? [],
            env: io.env,
            onProgress: (e: import('../core/registry/push-image.js').PushProgress) => {
              if (e.type === 'blob')
                progress({
                  type: 'vertex-status',
                  id,
                  text: e.digest,
                  statusId: e.digest,
                  current: e.done,
                  total: e.total,
                  completed: e.status !== 'uploading',
                });
            },
          };
          // Several platforms go up as one index, as buildx pushes them.
          const r =
            built.length > 1
              ? await pushImageIndex(
                  store,
                  built.map((b) => b.imageId as Digest),
                  t,
                  push,
                )
              : await pushImage(store, { config: built[0].imageId as Digest }, t, push);
          pushed = r.manifest;
        });
      }
    }
    // What CI scripts read back, as docker build writes them: the ID without a newline (of
    // several platforms, the first one's; the metadata file names the pushed index).
    const imageId = built[0].imageId as Digest;
    const { replaceFileWith } = await import('../core/fs/exclusive-file.js');
    if (values.iidfile !== undefined) await replaceFileWith(resolve(io.cwd, values.iidfile), imageId);
    if (values['metadata-file'] !== undefined) {
      const { buildMetadata } = await import('../core/export/build-metadata.js');
      const meta = await buildMetadata(store, imageId, tags, {
        pushed,
        buildId: built[0].plan.buildId,
      });
      await replaceFileWith(resolve(io.cwd, values['metadata-file']), `${JSON.stringify(meta, null, 2)}\n`);
    }
    await applyGcConfig(
      store,
      built.map((b) => b.reportsWritten),
      values.quiet ? undefined : say,
    );
    if (values.quiet) io.stdout.write(built.map((b) => `${b.imageId}\n`).join(''));
    else {
      for (const t of tags) say(`naming to ${t}`);
      for (const b of built)
        say(
          `writing image ${b.imageId}${built.length > 1 ? ` for ${b.platform}` : ''} (${b.result?.hits ?? 0} cached, ${b.result?.misses ?? 0} built)`,
        );
    }
    return 0;
  } finally {
    renderer.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The store's automatic GC policy (`<root>/config.json` `gc`, core/gc/gc-config.ts), applied
 * after a build as BuildKit's daemon applies its own; one line on stderr when it removed
 * something. A daemonless builder has no idle time to do it in, so it costs the build that
 * fills the store (a walk of the store's layers) and nothing when no policy is set. Without a
 * policy, build reports are still kept to `history.maxEntries`: checked only every so many
 * reports written (reportPruneDue), so a build that wrote none (a no-op) lists nothing.
 * Under a policy, meta caches unused for a week (or `until`, at least a day) go too
 * (core/gc/meta-caches.ts); without one, they are left to `strata prune`.
 */
async function applyGcConfig(
  store: import('../store/store.js').Store,
  reportsWritten: (number | undefined)[],
  say: ((line: string) => void) | undefined,
): Promise<void> {
  const { gcConfigPath, readStoreConfig } = await import('../core/gc/gc-config.js');
  const { gc: policy, maxReports } = await readStoreConfig(store.root);
  const { pruneReports, reportPruneDue } = await import('../core/exec/report-retention.js');
  // A no-op build wrote no report, so it never lists meta/.
  const reportsDue = reportsWritten.some((n) => n !== undefined && reportPruneDue(n, maxReports));
  if (policy === undefined) {
    if (reportsDue) await pruneReports(store, { maxEntries: maxReports, graceMs: 60_000 });
    return;
  }
  const { prune } = await import('../core/gc/prune.js');
  const r = await prune(store, {
    all: false,
    cacheMountsOnly: false,
    graceMs: 60_000,
    policy,
    ...(reportsDue ? { reports: { maxEntries: maxReports } } : {}),
    metaCaches: true,
  });
  const removed = r.cacheRecords + r.layers + r.blobs + r.cacheMounts + r.metaCaches;
  if (say === undefined || r.plan === undefined || removed === 0) return;
  const { humanSize } = await import('../core/inspect/image-view.js');
  say(
    `gc (${gcConfigPath(store.root)}): removed ${r.cacheRecords} cache records, ${r.layers} layers, ${r.blobs} blobs, ` +
      `${r.cacheMounts} cache mounts, ${r.metaCaches} meta caches; the store held ${humanSize(r.plan.before)}, about ${humanSize(r.plan.after)} now` +
      `${policy.keepStorage === undefined ? '' : ` (cap ${humanSize(policy.keepStorage)})`}`,
  );
}
