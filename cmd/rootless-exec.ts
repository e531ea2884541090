/**
 * Rootless: a non-root user's strata runs again inside a new user and mount namespace where
 * it is root, as `podman unshare` and rootlesskit do. There lchown works for every mapped id,
 * overlay mounts work (Linux 5.11+), runc runs in its rootless mode, and the store's files
 * carry the image's own uids and gids (on the host they are the user's subordinate ids).
 *
 * The namespace is made by util-linux `unshare`: with subordinate ranges in /etc/subuid and
 * /etc/subgid (and the setuid newuidmap/newgidmap of the uidmap package) it maps 0 to the user
 * and 1..N to the range; without them only 0 is mapped (the user itself), and strata keeps
 * the other owners in metadata (core/fs/kept-owner.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, readFileSync, writeSync } from 'node:fs';
import { constants as osConstants, userInfo } from 'node:os';
import type { Io } from './io.js';

/** Commands that never touch a store's files: they run as the user, without a namespace. */
const WITHOUT_STORE = new Set(['parse', 'lint', 'login', 'root']);

/** The variable naming the fd the child reports on, once it runs inside the namespace. */
const READY_FD_ENV = 'STRATA_USERNS_READY_FD';

/** A subordinate range: ids start..start+count-1 on the host. */
export interface SubRange {
  start: number;
  count: number;
}

/** The first range of /etc/subuid (or subgid) text for a user, by name or by numeric id. */
export function subordinateRange(text: string, name: string, id: number): SubRange | undefined {
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if (who !== name && who !== String(id)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && s > 0 && c > 0) return { start: s, count: c };
  }
  return undefined;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The `unshare` arguments that map this user to 0 and, when it has them, its ranges to 1..N. */
export function unshareArgs(): { args: string[]; mapping: 'subordinate' | 'single' } {
  const u = userInfo();
  const uids = subordinateRange(readText('/etc/subuid'), u.username, u.uid);
  const gids = subordinateRange(readText('/etc/subgid'), u.username, u.uid);
  const args = ['--user', '--mount', '--propagation', 'private', '--map-root-user'];
  const helpers = ['/usr/bin/newuidmap', '/usr/bin/newgidmap'].every(existsSync);
  if (uids && gids && helpers) {
    args.push(`--map-users=${uids.start},1,${uids.count}`, `--map-groups=${gids.start},1,${gids.count}`);
    return { args, mapping: 'subordinate' };
  }
  return { args, mapping: 'single' };
}

/** True when `command` should run inside a user namespace in this process. */
export function wantsUserNamespace(command: string, env: NodeJS.ProcessEnv): boolean {
  if (typeof process.getuid !== 'function' || process.getuid() === 0) return false;
  if (WITHOUT_STORE.has(command)) return false;
  // STRATA_ROOTLESS=off runs as the plain user (only what needs no other owner works).
  return env.STRATA_ROOTLESS !== 'off';
}

/** True when a seccomp filter applies to this process (/proc/self/status `Seccomp: 2`). */
function underSeccompFilter(): boolean {
  return /^Seccomp:\s*2$/m.test(readText('/proc/self/status'));
}

/** Called first thing in the child: tells the parent the namespace exists. */
export function reportReady(env: NodeJS.ProcessEnv): void {
  const fd = Number(env[READY_FD_ENV]);
  delete env[READY_FD_ENV];
  if (!Number.isSafeInteger(fd) || fd < 3) return;
  try {
    writeSync(fd, 'r');
    closeSync(fd);
  } catch {
    // the parent is gone or gave no such fd: nothing to report to
  }
}

/**
 * The V8 flags among `execArgv` (those the launcher, cmd/strata.sh, starts Node with), for a
 * child that runs main.js: everything but the startup snapshot's `--snapshot-blob FILE`.
 */
export function v8Flags(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    if (execArgv[i] === '--snapshot-blob') i++;
    else if (!execArgv[i].startsWith('--snapshot-blob=')) out.push(execArgv[i]);
  }
  return out;
}

/**
 * Runs `node entry argv`, with this process's V8 flags, inside a new user namespace and
 * resolves with its exit code. When the namespace cannot be made, says why and what to do
 * (exit 6, runtime missing), after unshare's own message.
 */
export function runInUserNamespace(entry: string, argv: string[], io: Io): Promise<number> {
  // Under a seccomp filter (a container's default profile) unshare(CLONE_NEWUSER) may be
  // refused, and util-linux 2.38's unshare then hangs when it was asked for --map-users. A
  // probe without maps fails fast instead; without a filter it is not needed.
  if (underSeccompFilter()) {
    const probe = spawnSync('unshare', ['--user', 'true'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      io.stderr.write(
        `strata: rootless: cannot create a user namespace here: ${(probe.stderr || String(probe.error ?? '')).trim()}\n` +
          '  in a container run it with --security-opt seccomp=unconfined --security-opt systempaths=unconfined\n' +
          '  (and apparmor=unconfined where AppArmor is on), or as root with --isolation=chroot\n' +
          '  (README "Rootless and CI")\n',
      );
      return Promise.resolve(6);
    }
  }
  const { args } = unshareArgs();
  const env = { ...io.env, [READY_FD_ENV]: '3' };
  const child = spawn(
    'unshare',
    [...args, '--', process.execPath, ...v8Flags(process.execArgv), entry, ...argv],
    {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      cwd: io.cwd,
      env,
    },
  );
  let ready = false;
  child.stdio[3]?.on('data', () => {
    ready = true;
  });
  child.stdio[3]?.on('error', () => undefined);
  // The child gets a terminal's Ctrl-C itself (same process group); a signal sent to this
  // pid alone is passed on, so the build cleans up its containers either way.
  const forward = (sig: NodeJS.Signals) => () => {
    child.kill(sig);
  };
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [
    s,
    forward(s),
  ]);
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise((resolve) => {
    const done = (code: number) => {
      for (const [s, h] of handlers) process.off(s, h);
      resolve(code);
    };
    child.on('error', (err) => {
      io.stderr.write(
        `strata: rootless: cannot start unshare (util-linux) to make a user namespace: ${err.message}\n` +
          '  install util-linux and uidmap, or run strata as root\n',
      );
      done(6);
    });
    child.on('close', (code, sig) => {
      if (!ready) {
        io.stderr.write(
          'strata: rootless: cannot create a user namespace for this user (see the unshare message above).\n' +
            '  strata builds as a non-root user inside one; allow unprivileged user namespaces\n' +
            '  (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0; in a container see\n' +
            '  README "Rootless and CI"), or run strata as root\n',
        );
        done(6);
        return;
      }
      done(code ?? 128 + ((sig && (osConstants.signals as Record<string, number>)[sig]) || 0));
    });
  });
}
