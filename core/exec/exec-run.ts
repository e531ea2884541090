/**
 * Executes one RUN step: resolves its mounts to host paths (cache dirs in the store, binds
 * from the context or a stage, secrets as files), runs it in runc on an overlay of the
 * parent layers, and leaves the overlay upper dir in `upper` as the step's change.
 */

import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { RunMount as GraphMount, Step } from '../../frontend/graph/types.js';
import type { Store } from '../../store/store.js';
import { resolveInRoot } from '../fs/host-tree.js';
import { readFileBounded } from '../fs/read-bounded.js';
import type { Digest } from '../oci/digest.js';
import { InvalidInputError, RunFailedError } from '../oci/errors.js';
import type { StageState } from '../plan/config-apply.js';
import { commandArgv, runEnv } from '../plan/config-apply.js';
import { copyContents } from '../runtime/copy-snapshotter.js';
import type { RunMount } from '../runtime/run-mount.js';
import { runStep } from '../runtime/run-step.js';
import { OutputTail } from './output-tail.js';

export interface SecretSource {
  id: string;
  /** Exactly one of these: a file to read, or an env var of the strata process. */
  src?: string;
  env?: string;
}

export interface RunContext {
  store: Store;
  contextDir: string;
  secrets: Map<string, SecretSource>;
  hostEnv: NodeJS.ProcessEnv;
  /** Added to the env of every RUN (proxy args), outside the cache key. */
  extraEnv: string[];
  /** `--build-arg BUILDKIT_SANDBOX_HOSTNAME`: the RUN container's hostname (default strata). */
  hostname?: string;
  /** Directory for this build's temporary state (bundles, secrets): deleted afterwards. */
  tmpDir: string;
  /** Materialises a stage's or image's filesystem (read-only use) and returns its path. */
  stageRoot(from: NonNullable<GraphMount['from']>): Promise<string>;
  /**
   * The build context as a bind mount shows it (`source` inside it): exactly the files COPY
   * would see, .dockerignore applied, the selection the step's key checksummed, written to a
   * fresh directory of the step's own (`dir`, which must not exist). Returns the path to mount.
   */
  contextMount(step: Step, source: string | undefined, dir: string): Promise<string>;
  /** What a stage's or image's filesystem is, by content: its top layer's chainID. */
  stageIdentity(from: NonNullable<GraphMount['from']>): Promise<string>;
  onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  signal?: AbortSignal;
  /** How RUN steps are isolated (`strata build --isolation`); default runc. */
  isolation?: 'runc' | 'chroot';
  /** Entitlements granted with `strata build --allow` (BuildKit's names). */
  allow: ReadonlySet<string>;
  /** SSH agent sockets by id (`strata build --ssh`). */
  ssh: ReadonlyMap<string, string>;
}

/** BuildKit's limit on a secret's size (session/secrets: MaxSecretSize). */
const MAX_SECRET = 500 * 1024;

/** Last output lines kept for the failure message. */
const TAIL = 20;

export async function execRun(
  step: Step,
  state: StageState,
  lowerDiffDirs: string[],
  upper: string,
  rc: RunContext,
): Promise<{ snapshotter: string }> {
  const ins = step.instruction;
  if (ins.kind !== 'run') throw new Error('execRun: not a RUN step');
  // As BuildKit: a step may ask for no sandbox only when the build was allowed to grant it.
  if (ins.security === 'insecure' && !rc.allow.has('security.insecure')) {
    throw new InvalidInputError(
      `run step: ${JSON.stringify(step.source.trim())} asks for --security=insecure: allow it with \`strata build --allow security.insecure\``,
    );
  }
  const id = `strata-${randomBytes(6).toString('hex')}`;
  const stepDir = join(rc.tmpDir, id);
  await mkdir(stepDir, { recursive: true, mode: 0o700 });
  // Cache-mount locks and ssh relays: released when the step ends, however it ends.
  const held: { release(): Promise<void> }[] = [];
  const tail = new OutputTail(TAIL);
  let failed = false;
  try {
    const env = [...runEnv(state), ...rc.extraEnv];
    const mounts: RunMount[] = [];
    // ssh mounts are numbered among themselves (their default targets).
    const sshMounts = ins.mounts.filter((m) => m.type === 'ssh');
    for (const m of ins.mounts) {
      mounts.push(...(await resolveMount(m, step, rc, stepDir, env, held, sshMounts.indexOf(m))));
    }
    for (const f of ins.files) {
      // The `#!` script of `RUN <<EOF`: the command is /dev/pipes/<name> (frontend/graph).
      const p = join(stepDir, `heredoc-${mounts.length}`);
      await writeFile(p, f.content, { mode: 0o755 });
      mounts.push({
        type: 'file',
        source: p,
        target: `/dev/pipes/${f.name}`,
        readonly: true,
        executable: true,
      });
    }
    const work = join(stepDir, 'work');
    await mkdir(work);
    const args = commandArgv(ins.command, state.config.Shell);
    const result = await runStep({
      id,
      lowerDirs: lowerDiffDirs,
      upperDir: upper,
      workDir: work,
      stateDir: join(stepDir, 'state'),
      args,
      env,
      cwd: state.config.WorkingDir || '/',
      user: state.config.User || undefined,
      mounts,
      network: ins.network,
      security: ins.security,
      isolation: rc.isolation,
      hostname: rc.hostname ?? 'strata',
      onOutput: (stream, chunk) => {
        tail.push(stream, chunk);
        rc.onOutput(stream, chunk);
      },
      signal: rc.signal,
    });
    if (result.exitCode !== 0) {
      const lines = tail.lines();
      const last = lines.length > 0 ? `\nlast output:\n  ${lines.join('\n  ')}` : '';
      throw new RunFailedError(
        `run step: ${JSON.stringify(step.source.trim())} (${args.join(' ')}) exited with code ${result.exitCode}${last}`,
      );
    }
    return { snapshotter: result.snapshotter };
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    for (const h of held) await h.release();
    // A leftover the step's own failure explains must not replace that failure.
    await rm(stepDir, { recursive: true, force: true }).catch((err) => {
      if (!failed) throw err;
    });
  }
}

async function resolveMount(
  m: GraphMount,
  step: Step,
  rc: RunContext,
  stepDir: string,
  env: string[],
  held: { release(): Promise<void> }[],
  sshIndex: number,
): Promise<RunMount[]> {
  switch (m.type) {
    case 'cache': {
      if (!m.target) throw new InvalidInputError('run --mount=type=cache: target is required');
      let cacheId = m.id ?? m.target;
      let seed: ((dir: string) => Promise<void>) | undefined;
      if (!m.from && (m.uid !== undefined || m.gid !== undefined || m.mode !== undefined)) {
        // BuildKit makes such a cache from a base (a Mkdir with that owner and mode), and
        // a cache with a base is keyed by it: another owner or mode, another cache.
        cacheId = `${cacheId}:mkdir:${(m.mode ?? 0o755).toString(8)}:${m.uid ?? 0}:${m.gid ?? 0}`;
      }
      if (m.from) {
        const from = m.from;
        const source = posix.normalize(`/${m.source ?? ''}`);
        // As BuildKit keys a cache with a base (`id:<base ref>`): another base, another cache.
        // The base is named by its content (its top layer's chainID), the subpath added.
        cacheId = `${cacheId}:${await rc.stageIdentity(from)}${source === '/' ? '' : `:${source}`}`;
        // A new cache starts as a copy of from's `source` (owners, modes and times kept);
        // later builds find it as the steps left it.
        seed = async (dir) => {
          const src = resolveInRoot(await rc.stageRoot(from), source);
          if (!(await lstat(src).catch(() => undefined))?.isDirectory()) {
            const name = from.kind === 'stage' ? `stage ${from.index}` : from.ref;
            throw new InvalidInputError(`run --mount=type=cache: from=${name} has no directory ${source}`);
          }
          await copyContents(src, dir);
        };
      }
      // Registered as in use until the step ends, so a concurrent prune leaves it alone.
      const use = await rc.store.useCacheMount(cacheId, { mode: m.mode, uid: m.uid, gid: m.gid, seed });
      held.push(use);
      const dir = use.path;
      // locked: one step at a time across processes; private: BuildKit gives a fresh
      // directory when the shared one is busy, and so do we.
      if (m.sharing === 'locked')
        held.push(await rc.store.lock(`cachemount-${cacheId}`, { signal: rc.signal }));
      if (m.sharing === 'private') {
        const l = await rc.store.tryLock(`cachemount-${cacheId}`);
        if (l) held.push(l);
        else {
          const priv = join(stepDir, 'private-cache');
          await mkdir(priv, { recursive: true });
          return [{ type: 'bind', source: priv, target: m.target, readonly: m.readonly }];
        }
      }
      return [{ type: 'bind', source: dir, target: m.target, readonly: m.readonly }];
    }
    case 'bind': {
      if (!m.target) throw new InvalidInputError('run --mount=type=bind: target is required');
      // Both sources are private copies made for this step (the filtered context, or the
      // stage's merged filesystem), so an rw mount's writes are thrown away with them.
      let source: string;
      if (m.from) {
        // The source is resolved inside its root: a symlink or `..` cannot reach the host.
        source = resolveInRoot(await rc.stageRoot(m.from), m.source ?? '/');
      } else {
        source = await rc.contextMount(
          step,
          m.source,
          join(stepDir, `bind-${randomBytes(4).toString('hex')}`),
        );
      }
      return [{ type: 'bind', source, target: m.target, readonly: m.readonly }];
    }
    case 'tmpfs':
      if (!m.target) throw new InvalidInputError('run --mount=type=tmpfs: target is required');
      return [{ type: 'tmpfs', target: m.target, size: m.size }];
    case 'secret': {
      const id = m.id ?? (m.target ? m.target.split('/').pop() : undefined);
      if (!id) throw new InvalidInputError('run --mount=type=secret: id or target is required');
      const s = rc.secrets.get(id);
      let value: Buffer | undefined;
      // A regular file of at most BuildKit's secret size (500 KiB), the user's own host file.
      if (s?.src) value = await readFileBounded(await realpath(s.src), MAX_SECRET, `secret ${id} (${s.src})`);
      else if (s?.env)
        value = rc.hostEnv[s.env] !== undefined ? Buffer.from(rc.hostEnv[s.env] as string) : undefined;
      if (value === undefined) {
        if (m.required)
          throw new InvalidInputError(
            `run --mount=type=secret: secret ${id}: not found (it is required; pass --secret id=${id},src=FILE)`,
          );
        return [];
      }
      if (m.env) {
        // Only the running process sees it: never in a layer, the history or a cache key.
        env.push(`${m.env}=${value.toString()}`);
        if (!m.target) return [];
      }
      const p = join(stepDir, `secret-${randomBytes(4).toString('hex')}`);
      await writeFile(p, value, { mode: 0o400 });
      // BuildKit's secret mount options: owner and mode as asked (default 0:0, 0400).
      await chown(p, m.uid ?? 0, m.gid ?? 0);
      await chmod(p, m.mode ?? 0o400);
      return [{ type: 'file', source: p, target: m.target ?? `/run/secrets/${id}`, readonly: true }];
    }
    case 'ssh': {
      const id = m.id ?? 'default';
      const agent = rc.ssh.get(id);
      if (agent === undefined) {
        if (m.required)
          throw new InvalidInputError(
            `run --mount=type=ssh: ssh agent ${JSON.stringify(id)} is required but was not forwarded (--ssh ${id}=SOCKET)`,
          );
        return [];
      }
      // BuildKit's default target: one socket per ssh mount of the step, numbered.
      const target = m.target ?? `/run/buildkit/ssh_agent.${sshIndex}`;
      // The first ssh mount is the one SSH_AUTH_SOCK names (as the Dockerfile frontend sets it).
      if (sshIndex === 0 && !env.some((e) => e.startsWith('SSH_AUTH_SOCK=')))
        env.push(`SSH_AUTH_SOCK=${target}`);
      const { startAgentProxy } = await import('../runtime/ssh-agent-proxy.js');
      const proxy = await startAgentProxy(agent, {
        mode: m.mode ?? 0o600,
        uid: m.uid ?? 0,
        gid: m.gid ?? 0,
      });
      held.push({ release: () => proxy.close() });
      return [{ type: 'bind', source: proxy.path, target, readonly: true }];
    }
  }
}

export type { Digest };
