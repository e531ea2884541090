import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { snapshotDiff } from '../diff/snapshot-diff.js';
import { resolveInRootRelative } from '../fs/host-tree.js';
import { idMapped, idMode } from '../fs/id-mode.js';
import { InternalError, InvalidInputError, RunFailedError } from '../oci/errors.js';
import { ALL_CAPABILITIES, buildSpec, heldCapabilities } from './build-spec.js';
import { copyTree, mergeLowers } from './copy-snapshotter.js';
import { writeEtcFiles } from './etc-files.js';
import { type MountStub, recordStubs, removeStubs, rootfsTargets } from './mount-stubs.js';
import { unmountUnder } from './mounts.js';
import { nofileLimit } from './nofile-limit.js';
import { mountOverlay } from './overlay.js';
import { removeOwner, writeOwner } from './owner.js';
import { resolveUser } from './resolve-user.js';
import { defaultRuncRoot, userForNamespace } from './rootless.js';
import type { RunMount, RunNetwork } from './run-mount.js';
import { runcDelete, runcKill } from './runc.js';
import { checkRunc } from './runc-version.js';
import { assertSafeCwd } from './safe-cwd.js';
import { guardStep } from './signal-guard.js';

export type { RunMount, RunNetwork } from './run-mount.js';

export interface RunStepOptions {
  /** Unique; the runc container id (letters, digits, '_', '-', '.'). */
  id: string;
  /** Parent layers' diff dirs, top-most first (overlay lowerdir order); empty for FROM scratch. */
  lowerDirs: string[];
  /** Empty dir on the store's filesystem; afterwards it holds the step's changes in overlay form. */
  upperDir: string;
  /** Empty scratch dir on the same filesystem as upperDir (overlay workdir); caller deletes. */
  workDir: string;
  /** Private dir for the bundle and the rootfs mountpoint; created if missing; caller deletes. */
  stateDir: string;
  /** argv; shell form is already wrapped by the caller. */
  args: string[];
  /** 'K=V'; PATH is added when missing. */
  env: string[];
  /** Absolute; created in the rootfs when missing. */
  cwd: string;
  /** USER syntax, resolved against the rootfs /etc/passwd and /etc/group; default root. */
  user?: string;
  mounts: RunMount[];
  network: RunNetwork;
  /** `RUN --security`; default 'sandbox' (see buildSpec). */
  security?: 'sandbox' | 'insecure';
  /** Default 'strata'. */
  hostname?: string;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Aborting kills the container, cleans up and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** 'auto' (default) mounts overlay and falls back to copying when that fails. */
  snapshotter?: 'auto' | 'overlay' | 'copy';
  /** runc binary; default the one on PATH. Either way it passes the version gate first. */
  runc?: string;
  /**
   * 'runc' (default): a sandbox of namespaces, seccomp and capabilities. 'chroot': no
   * namespaces at all, for a container that cannot make any; the container is the sandbox
   * (chroot-step.ts).
   */
  isolation?: 'runc' | 'chroot';
  /** runc --root; default defaultRuncRoot() (per user when not root). `cleanupStale` must be given the same. */
  runcRoot?: string;
}

export interface RunStepResult {
  exitCode: number;
  snapshotter: 'overlay' | 'copy';
  durationMs: number;
  /** Why 'auto' fell back to copying: the overlay mount error. */
  overlayError?: string;
}

const gated = new Map<string, Promise<string>>();

/** The runc path after the version gate, checked once per path and process. */
function gatedRunc(p: string | undefined): Promise<string> {
  const key = p ?? '';
  let g = gated.get(key);
  if (!g) {
    g = checkRunc(p ? { path: p } : {}).then((r) => r.path);
    gated.set(key, g);
    g.catch(() => gated.delete(key));
  }
  return g;
}

/**
 * Runs one RUN step in runc on an overlay of `lowerDirs`, leaving its changes in `upperDir`.
 *
 * Contract: on return or throw, the container is deleted, nothing is mounted under
 * `stateDir`, mount stubs runc created are gone from the changes, and the owner file that
 * `cleanupStale` looks for is removed. A non-zero exit of the command is a result, not an
 * error; errors are for runc failing to start it (RunFailedError), bad input, refused paths
 * (SecurityError) and aborts (the signal's reason).
 */
export async function runStep(o: RunStepOptions): Promise<RunStepResult> {
  const started = Date.now();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(o.id)) {
    throw new InvalidInputError(`run step: invalid container id ${JSON.stringify(o.id)}`);
  }
  assertSafeCwd(o.cwd);
  o.signal?.throwIfAborted();
  if (o.isolation === 'chroot') return (await import('./chroot-step.js')).runChrootStep(o);
  const runc = await gatedRunc(o.runc);
  const runcRoot = o.runcRoot ?? defaultRuncRoot();
  const mode = idMode();
  const rootless = mode.kind !== 'root';
  await mkdir(runcRoot, { recursive: true, mode: 0o700 });
  const stateDir = path.resolve(o.stateDir);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeOwner(stateDir, o.id, runcRoot);

  const abort = new AbortController();
  const onAbort = () => abort.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let finished: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    finished = r;
  });
  const unguard = guardStep(async (reason) => {
    abort.abort(reason);
    await done;
  });

  const rootfs = path.join(stateDir, 'rootfs');
  const before = path.join(stateDir, 'before');
  let snapshotter: 'overlay' | 'copy' = 'overlay';
  let stubs: MountStub[] = [];
  let ran = false;
  let result: RunStepResult | undefined;
  let failure: { error: unknown } | undefined;
  try {
    await mkdir(rootfs, { recursive: true, mode: 0o755 });
    const prepared = await prepareRootfs(o, stateDir, rootfs, before);
    snapshotter = prepared.snapshotter;
    const cwd = assertSafeCwd(o.cwd, rootfs);
    mkdirInRoot(rootfs, cwd);
    const user = userForNamespace(resolveUser(rootfs, o.user), mode, JSON.stringify(o.args.join(' ')));
    const hostname = o.hostname ?? 'strata';
    const etc = await writeEtcFiles(stateDir, hostname);
    const spec = buildSpec({
      rootfs,
      args: o.args,
      env: o.env,
      cwd,
      user,
      hostname,
      network: o.network,
      mounts: o.mounts,
      resolvConf: etc.resolvConf,
      hosts: etc.hosts,
      cgroupNamespace: existsSync('/sys/fs/cgroup/cgroup.controllers'),
      // In a user namespace the cgroup tree is not ours to write: runc's rootless mode runs
      // the step in the caller's cgroup (no limits are set, so none is lost).
      cgroupsPath: rootless ? undefined : `/strata/${o.id}`,
      nofile: nofileLimit(),
      security: o.security,
      insecureCapabilities: o.security === 'insecure' ? boundingCapabilities() : undefined,
      rootless: mode.kind === 'userns' ? { ttyGroupMapped: idMapped(mode.gids, 5) } : undefined,
    });
    stubs = recordStubs(rootfs, rootfsTargets(spec.mounts ?? []));
    await writeFile(path.join(stateDir, 'config.json'), JSON.stringify(spec, null, 2), { mode: 0o600 });
    abort.signal.throwIfAborted();
    const exitCode = await runContainer(runc, runcRoot, o.id, stateDir, rootless, o.onOutput, abort.signal);
    ran = true;
    abort.signal.throwIfAborted();
    result = { exitCode, snapshotter, durationMs: Date.now() - started };
    if (prepared.overlayError) result.overlayError = prepared.overlayError;
  } catch (error) {
    failure = { error };
  }
  {
    // Every cleanup step runs even when an earlier one fails; the first failure is
    // reported unless the step itself already failed (its error is the one to show).
    const errors: unknown[] = [];
    const attempt = async (f: () => unknown) => {
      try {
        await f();
      } catch (err) {
        errors.push(err);
      }
    };
    await attempt(() => runcDelete(runc, runcRoot, o.id));
    let unmounted = false;
    await attempt(async () => {
      await unmountUnder(stateDir);
      unmounted = true;
    });
    // With a mount left, nothing below may be touched (it could be a lower layer) and the
    // owner file stays so cleanupStale finds the step once this process is gone.
    if (unmounted) {
      if (snapshotter === 'overlay') await attempt(() => removeStubs(path.resolve(o.upperDir), stubs));
      else if (existsSync(rootfs)) {
        await attempt(async () => {
          removeStubs(rootfs, stubs);
          if (ran && !abort.signal.aborted) await snapshotDiff(before, rootfs, o.upperDir);
        });
        await attempt(() => rm(before, { recursive: true, force: true }));
        await attempt(() => rm(rootfs, { recursive: true, force: true }));
      }
      await attempt(() => removeOwner(stateDir));
    }
    o.signal?.removeEventListener('abort', onAbort);
    unguard();
    finished();
    if (failure) throw failure.error;
    if (errors.length > 0) {
      throw new InternalError(`clean up run step ${o.id}: ${(errors[0] as Error).message}`, {
        cause: errors[0],
      });
    }
  }
  return result as RunStepResult;
}

/** Mounts the overlay, or (auto/copy) prepares a copied root; returns which one ran. */
async function prepareRootfs(
  o: RunStepOptions,
  stateDir: string,
  rootfs: string,
  before: string,
): Promise<{ snapshotter: 'overlay' | 'copy'; overlayError?: string }> {
  const mode = o.snapshotter ?? 'auto';
  let overlayError: string | undefined;
  if (mode !== 'copy') {
    try {
      await mountOverlay({
        lowerDirs: o.lowerDirs,
        upperDir: o.upperDir,
        workDir: o.workDir,
        target: rootfs,
        scratchDir: stateDir,
      });
      return { snapshotter: 'overlay' };
    } catch (err) {
      if (mode === 'overlay') throw err;
      overlayError = (err as Error).message;
      // A half-made mount must not stay under the copy that replaces it.
      await unmountUnder(rootfs);
    }
  }
  await mergeLowers(o.lowerDirs, before);
  await rm(rootfs, { recursive: true, force: true });
  await copyTree(before, rootfs);
  return overlayError === undefined ? { snapshotter: 'copy' } : { snapshotter: 'copy', overlayError };
}

/** Creates `cwd` (already resolved safe) inside rootfs, component by component, 0755 root. */
function mkdirInRoot(rootfs: string, cwd: string): void {
  let cur = rootfs;
  for (const part of resolveInRootRelative(rootfs, cwd).split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    try {
      mkdirSync(cur, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!lstatSync(cur).isDirectory()) {
        throw new InvalidInputError(`create working directory ${cwd}: ${part} is not a directory`);
      }
    }
  }
}

/**
 * `runc run` in the foreground with stdout/stderr piped and no other fds. runc gets its own
 * process group so a terminal's Ctrl-C reaches strata, which then kills the container in
 * order, instead of runc forwarding it. Resolves with the command's exit code (128+N for a
 * signal).
 */
async function runContainer(
  runc: string,
  runcRoot: string,
  id: string,
  bundle: string,
  rootless: boolean,
  onOutput: RunStepOptions['onOutput'],
  signal: AbortSignal,
): Promise<number> {
  const log = path.join(bundle, 'runc.log');
  const child = spawn(
    runc,
    [
      '--root',
      runcRoot,
      ...(rootless ? ['--rootless', 'true'] : []),
      '--log',
      log,
      '--log-format',
      'json',
      'run',
      '--bundle',
      bundle,
      id,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  child.stdout.on('data', (c: Buffer) => onOutput?.('stdout', c));
  child.stderr.on('data', (c: Buffer) => onOutput?.('stderr', c));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', (err) =>
      reject(new RunFailedError(`run step: start ${runc}: ${err.message}`, { cause: err })),
    );
    child.on('close', (code, sig) => resolve(code ?? 128 + signalNumber(sig)));
  });
  let gone = false;
  void exited.finally(() => {
    gone = true;
  });
  const kill = async () => {
    // The container may not exist yet while runc sets it up: retry until runc run ends.
    for (let i = 0; !gone; i++) {
      if (await runcKill(runc, runcRoot, id)) break;
      if (i === 200 && child.pid) process.kill(child.pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  signal.addEventListener('abort', () => void kill(), { once: true });
  const code = await exited;
  if (code !== 0 && !signal.aborted) {
    const err = await runcError(log);
    if (err)
      throw new RunFailedError(
        `run step: runc failed to run the container: ${err}${runcHint(err, rootless)}`,
      );
  }
  return code;
}

/**
 * What to do about a runc failure a rootless build in a container meets: a new /proc is
 * refused while the container's own /proc has masked paths (mount_too_revealing).
 */
function runcHint(err: string, rootless: boolean): string {
  if (!rootless || !/mounting "proc"/.test(err)) return '';
  return ' (in a container, run it with --security-opt systempaths=unconfined so a step can mount its own /proc; README "Rootless and CI")';
}

/** The last error runc logged, if any; a command's own non-zero exit logs none. */
async function runcError(log: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(log, 'utf8');
  } catch {
    return undefined;
  }
  let msg: string | undefined;
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' || entry.level === 'fatal') msg = entry.msg;
    } catch {
      // not JSON: ignore
    }
  }
  return msg;
}

function signalNumber(sig: NodeJS.Signals | null): number {
  const n = sig ? (osConstants.signals as Record<string, number>)[sig] : undefined;
  return n ?? 0;
}

/** The capabilities this process may pass on (its bounding set): all an insecure step can get. */
function boundingCapabilities(): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? heldCapabilities(BigInt(`0x${m[1]}`)) : [...ALL_CAPABILITIES];
}
