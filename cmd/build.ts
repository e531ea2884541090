/**
 * `strata build`: flags shaped like `docker build` so muscle memory works. Parses flags,
 * calls core's build(), renders progress, then writes any --output.
 */

import { resolve } from 'node:path';
import { InvalidInputError } from '../core/oci/errors.js';
import { hostPlatform } from '../core/oci/platform.js';
import { parseNamedContexts } from '../core/plan/named-contexts.js';
import type { ProgressMode } from '../core/progress/renderer.js';
import { openStore, parseBuildArgs, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

const OPTIONS = {
  ...ROOT_OPTION,
  file: { type: 'string', short: 'f' },
  tag: { type: 'string', short: 't', multiple: true },
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
  return { type, dest: kv.dest, ...(rw === 'true' ? { rewriteTimestamp: true } : {}) };
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
  if (!['auto', 'plain', 'tty', 'quiet'].includes(progressMode))
    throw new InvalidInputError(
      `--progress: want auto, plain, tty or quiet, not ${JSON.stringify(values.progress)}`,
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
  if (isolation === 'chroot')
    io.stderr.write(
      'strata: --isolation=chroot: RUN steps are not sandboxed; the container strata runs in is the sandbox\n',
    );
  // BuildKit's build-arg, or the environment variable as buildx passes it on; given either
  // way, a stage that declares `ARG SOURCE_DATE_EPOCH` sees it (and its RUN steps too).
  const buildArgs = parseBuildArgs(values['build-arg'], io.env);
  const sde = buildArgs.SOURCE_DATE_EPOCH ?? io.env.SOURCE_DATE_EPOCH;
  if (sde !== undefined && !/^\d+$/.test(sde))
    throw new InvalidInputError(`SOURCE_DATE_EPOCH=${sde}: want whole seconds since 1970`);
  if (sde !== undefined) buildArgs.SOURCE_DATE_EPOCH = sde;
  const epoch = sde === undefined ? undefined : Number(sde);

  const { build } = await import('../core/exec/build.js');
  const { makeRenderer } = await import('../core/progress/renderer.js');
  const store = await openStore(values.root, io);
  const renderer = makeRenderer(progressMode, io.stderr);
  const ac = new AbortController();
  const onSignal = () => ac.abort(new Error('build interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const outcome = await build(store, {
      contextDir: resolve(io.cwd, positionals[0]),
      dockerfile: values.file === undefined ? undefined : resolve(io.cwd, values.file),
      tags: values.tag ?? [],
      target: values.target,
      buildArgs,
      noCache: values['no-cache'] ?? false,
      earlyCutoff: values['early-cutoff'] ?? false,
      dryRun: values['dry-run'] ?? false,
      secrets,
      allow: values.allow ?? [],
      isolation,
      ssh,
      platform: values.platform ?? hostPlatform(),
      sourceDateEpoch: epoch,
      env: io.env,
      namedContexts: parseNamedContexts(values['build-context'] ?? [], io.cwd),
      pull: values.pull ?? false,
      cacheFrom: await cacheSpecs(values['cache-from']),
      cacheTo: await cacheSpecs(values['cache-to']),
      insecureRegistries: values['insecure-registry'] ?? [],
      progress: renderer.sink,
      signal: ac.signal,
    });
    renderer.close();
    if (values['dry-run'] || values.explain) {
      const { formatPlan } = await import('../core/plan/format-plan.js');
      io.stdout.write(formatPlan(outcome.plan, { dryRun: values['dry-run'] ?? false }));
    }
    if (!outcome.imageId) return 0;
    for (const o of outputs) {
      const { writeOutput } = await import('../core/export/write-output.js');
      // As BuildKit: the image exporters rewrite layer times only when asked; the local
      // exporter writes files with the epoch's times whenever SOURCE_DATE_EPOCH is set.
      let config = outcome.imageId;
      if (o.rewriteTimestamp && epoch === undefined)
        throw new InvalidInputError('--output rewrite-timestamp=true: set SOURCE_DATE_EPOCH too');
      if (epoch !== undefined && (o.rewriteTimestamp || o.type === 'local')) {
        const { rewriteTimestamps } = await import('../core/export/rewrite-timestamps.js');
        config = await rewriteTimestamps(store, config, epoch);
      }
      await writeOutput(store, { config }, o, outcome.tags);
      if (!values.quiet) io.stderr.write(`exported ${o.type} to ${o.dest}\n`);
    }
    if (values.push) {
      if (outcome.tags.length === 0) throw new InvalidInputError('build --push: name the image with -t');
      const { pushImage } = await import('../core/registry/push-image.js');
      for (const t of outcome.tags) {
        await pushImage(store, { config: outcome.imageId }, t, {
          insecureRegistries: values['insecure-registry'] ?? [],
          env: io.env,
        });
        if (!values.quiet) io.stderr.write(`pushed ${t}\n`);
      }
    }
    if (values.quiet) io.stdout.write(`${outcome.imageId}\n`);
    else {
      for (const t of outcome.tags) io.stderr.write(`naming to ${t}\n`);
      io.stderr.write(
        `writing image ${outcome.imageId} (${outcome.result?.hits ?? 0} cached, ${outcome.result?.misses ?? 0} built)\n`,
      );
    }
    return 0;
  } finally {
    renderer.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
