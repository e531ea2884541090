/**
 * `--isolation=chroot`: a RUN step without runc and without any namespace, for a fully
 * default container (no --privileged, the default seccomp profile) where neither a mount nor
 * a user namespace can be made. The step runs as a chroot(8) into a copied root filesystem
 * (the copy snapshotter), so the container around strata is the only sandbox: the step sees
 * the container's network, processes and kernel, and runs as the container's root with the
 * container's capabilities. kaniko and `buildah --isolation chroot` work the same way.
 *
 * What runc would mount is put in place inside the copied root instead, and taken out again
 * before the diff: RUN --mount sources (cache dirs, secrets, context and stage copies, the ssh
 * agent socket) are moved in by rename and moved back after, tmpfs targets are empty
 * directories, /dev gets the usual device nodes (CAP_MKNOD is in Docker's default set),
 * /etc/resolv.conf and /etc/hosts are the generated files. What was at a target before is
 * set aside and restored, and created parents are removed as runc's stubs are
 * (mount-stubs.ts), so the layer holds exactly what the command wrote. There is no /proc:
 * mounting one needs CAP_SYS_ADMIN.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, lstatSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { snapshotDiff } from '../diff/snapshot-diff.js';
import { resolveInRootRelative } from '../fs/host-tree.js';
import { idMode } from '../fs/id-mode.js';
import { mknod } from '../fs/overlay-form.js';
import { InvalidInputError, RunFailedError, RuntimeMissingError } from '../oci/errors.js';
import { DEFAULT_PATH } from './build-spec.js';
import { copyTree, mergeLowers } from './copy-snapshotter.js';
import { writeEtcFiles } from './etc-files.js';
import { type MountStub, recordStubs, removeStubs, walkNoFollow } from './mount-stubs.js';
import { resolveUser } from './resolve-user.js';
import type { RunStepOptions, RunStepResult } from './run-step.js';
import { assertSafeCwd } from './safe-cwd.js';

/** The device nodes a step's /dev has (Docker's defaults less the pty ones). */
const DEVICES: [name: string, major: number, minor: number][] = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];

/** One thing put at `target` (a path relative to the root) for the step, and how to undo it. */
interface Placed {
  target: string;
  /** Where the content goes back to (a bind's source); undefined: delete it. */
  returnTo?: string;
  /** What was at the target before, set aside. */
  saved?: string;
}

/** Runs `o` as described above; same contract as runStep (changes left in `o.upperDir`). */
export async function runChrootStep(o: RunStepOptions): Promise<RunStepResult> {
  const started = Date.now();
  if (idMode().kind !== 'root') {
    throw new RuntimeMissingError(
      'run step: --isolation=chroot needs root in the container (chroot and mknod need CAP_SYS_CHROOT and CAP_MKNOD, which Docker gives its root by default); run the container as root',
    );
  }
  if (o.network === 'none') {
    throw new InvalidInputError(
      'run step: RUN --network=none needs a network namespace, which --isolation=chroot does not make: the step would share the container network',
    );
  }
  assertSafeCwd(o.cwd);
  const chroot = findTool('chroot');
  const stateDir = path.resolve(o.stateDir);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const rootfs = path.join(stateDir, 'rootfs');
  const before = path.join(stateDir, 'before');
  await mergeLowers(o.lowerDirs, before);
  await rm(rootfs, { recursive: true, force: true });
  await copyTree(before, rootfs);

  const placed: Placed[] = [];
  let stubs: MountStub[] = [];
  let exitCode = -1;
  let ran = false;
  try {
    const cwd = assertSafeCwd(o.cwd, rootfs);
    makeDirs(rootfs, cwd); // as runStep does: a created working directory is part of the layer
    const user = resolveUser(rootfs, o.user);
    const etc = await writeEtcFiles(stateDir, o.hostname ?? 'strata');
    const mounts = [
      ...DEVICES.map(([name]) => ({ target: `/dev/${name}` })),
      { target: '/dev/shm' },
      { target: '/etc/resolv.conf', source: etc.resolvConf, copy: true },
      { target: '/etc/hosts', source: etc.hosts, copy: true },
      ...o.mounts.map((m) =>
        m.type === 'tmpfs' ? { target: m.target } : { target: m.target, source: m.source },
      ),
    ];
    stubs = recordStubs(
      rootfs,
      mounts.map((m) => m.target),
    );
    for (const m of mounts) placed.push(await place(rootfs, stateDir, placed.length, m));
    const env = o.env.some((e) => e.startsWith('PATH=')) ? [...o.env] : [`PATH=${DEFAULT_PATH}`, ...o.env];
    const groups = [user.gid, ...(user.additionalGids ?? [])].join(',');
    // chroot(8) enters the root and changes to /; the working directory is set by the
    // image's own shell, which every RUN in shell form runs anyway.
    const inner = cwd === '/' ? o.args : ['/bin/sh', '-c', 'cd "$0" && exec "$@"', cwd, ...o.args];
    const args = [`--userspec=${user.uid}:${user.gid}`, `--groups=${groups}`, rootfs, ...inner];
    exitCode = await runChild(chroot, args, env, o);
    ran = true;
  } finally {
    for (const p of [...placed].reverse()) unplace(rootfs, p);
    removeStubs(rootfs, stubs);
  }
  if (ran && !o.signal?.aborted) await snapshotDiff(before, rootfs, o.upperDir);
  await rm(before, { recursive: true, force: true });
  await rm(rootfs, { recursive: true, force: true });
  o.signal?.throwIfAborted();
  return { exitCode, snapshotter: 'copy', durationMs: Date.now() - started };
}

/** Puts one mount's content at its target: a moved source, a copied file, a device, or an empty dir. */
async function place(
  rootfs: string,
  stateDir: string,
  n: number,
  m: { target: string; source?: string; copy?: boolean },
): Promise<Placed> {
  const rel = resolveInRootRelative(rootfs, m.target).replace(/^\/+/, '');
  if (rel === '') throw new InvalidInputError(`run step: cannot mount over / (${m.target})`);
  const host = path.join(rootfs, rel);
  makeDirs(rootfs, `/${path.posix.dirname(rel)}`);
  const out: Placed = { target: rel };
  if (exists(host)) {
    out.saved = path.join(stateDir, `saved-${n}`);
    renameSync(host, out.saved);
  }
  const device = DEVICES.find(([name]) => `dev/${name}` === rel);
  if (device) await mknod(host, 'c', device[1], device[2], 0o666);
  else if (m.source === undefined) mkdirSync(host, { mode: rel === 'dev/shm' ? 0o1777 : 0o755 });
  else if (m.copy) cpSync(m.source, host);
  else {
    renameSync(m.source, host);
    out.returnTo = m.source;
  }
  return out;
}

/** Takes a placed mount out again and restores what was there; never follows a symlink. */
function unplace(rootfs: string, p: Placed): void {
  const host = path.join(rootfs, p.target);
  // The step may have replaced a parent with a symlink: then nothing is moved through it.
  const parentOk =
    walkNoFollow(rootfs, path.posix.dirname(p.target))?.isDirectory() ?? p.target.indexOf('/') < 0;
  if (parentOk && exists(host)) {
    if (p.returnTo !== undefined && !exists(p.returnTo)) renameSync(host, p.returnTo);
    else rmSync(host, { recursive: true, force: true });
  }
  if (p.saved !== undefined && parentOk && !exists(host)) renameSync(p.saved, host);
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Creates `dir` (absolute in the root) component by component, 0755, never through a symlink. */
function makeDirs(rootfs: string, dir: string): void {
  let cur = rootfs;
  for (const part of resolveInRootRelative(rootfs, dir).split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    if (!existsSync(cur)) mkdirSync(cur, { mode: 0o755 });
  }
}

function findTool(name: string): string {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin']) {
    const p = path.join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  throw new RuntimeMissingError(
    `run step: ${name} is not installed (coreutils); --isolation=chroot needs it`,
  );
}

/** Runs the chrooted command in its own process group; an abort kills the group. */
function runChild(cmd: string, args: string[], env: string[], o: RunStepOptions): Promise<number> {
  const vars: NodeJS.ProcessEnv = {};
  for (const e of env) {
    const i = e.indexOf('=');
    if (i > 0) vars[e.slice(0, i)] = e.slice(i + 1);
  }
  const child = spawn(cmd, args, { env: vars, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout.on('data', (c: Buffer) => o.onOutput?.('stdout', c));
  child.stderr.on('data', (c: Buffer) => o.onOutput?.('stderr', c));
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  o.signal?.addEventListener('abort', killGroup, { once: true });
  return new Promise((resolve, reject) => {
    child.on('error', (err) =>
      reject(new RunFailedError(`run step: start ${cmd}: ${err.message}`, { cause: err })),
    );
    child.on('close', (code, sig) => {
      o.signal?.removeEventListener('abort', killGroup);
      killGroup(); // what the command left running in the background goes with it
      const n = sig ? ((osConstants.signals as Record<string, number>)[sig] ?? 0) : 0;
      resolve(code ?? 128 + n);
    });
  });
}
