/**
 * Running the CLI as an unprivileged user, for the rootless tests. Two users, made by this
 * helper when missing:
 * - `strata-rootless`: a login user with a subordinate id range in /etc/subuid and
 *   /etc/subgid, so strata maps 65536 ids in its user namespace (newuidmap);
 * - `nobody`: no range, so strata maps only the user's own id (the single-id mode).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MissingPrerequisiteError, requireRoot, requireTool } from './require.js';

export interface OtherUser {
  name: string;
  uid: number;
  gid: number;
  /** HOME for the user's processes. */
  home: string;
}

export const SUBUID_USER = 'strata-rootless';

function ids(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

function hasRange(file: string, name: string): boolean {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .some((l) => l.startsWith(`${name}:`));
  } catch {
    return false;
  }
}

/** The user with subordinate ids, created (with a range) when missing. */
export function subuidUser(): OtherUser {
  requireRoot();
  requireTool('unshare');
  requireTool('newuidmap');
  requireTool('newgidmap');
  requireTool('setpriv');
  if (!ids(SUBUID_USER)) execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', SUBUID_USER]);
  // useradd adds a range itself when /etc/subuid exists; a fresh machine may have none.
  for (const [file, flag] of [
    ['/etc/subuid', '--add-subuids'],
    ['/etc/subgid', '--add-subgids'],
  ] as const) {
    if (!hasRange(file, SUBUID_USER)) execFileSync('usermod', [flag, '2000000-2065535', SUBUID_USER]);
  }
  const u = ids(SUBUID_USER);
  if (!u)
    throw new MissingPrerequisiteError(`e2e prerequisite missing: could not create user ${SUBUID_USER}`);
  return { name: SUBUID_USER, ...u, home: `/home/${SUBUID_USER}` };
}

/** nobody, which has no subordinate range (checked: the single-id tests rely on it). */
export function singleIdUser(): OtherUser {
  requireRoot();
  requireTool('unshare');
  requireTool('setpriv');
  if (hasRange('/etc/subuid', 'nobody') || hasRange('/etc/subuid', '65534')) {
    throw new MissingPrerequisiteError('e2e prerequisite: nobody must have no /etc/subuid range');
  }
  return { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' };
}

export interface UserRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node cli args` as `user` (its uid, gid and no other groups; HOME set, the rest of
 * the environment this process's), or `cli args` when `cli` is the sh launcher (a path not
 * ending in .js). Never throws for a non-zero exit.
 */
export function runAs(
  user: OtherUser,
  cli: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<UserRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: user.home, USER: user.name, ...opts.env };
  delete env.XDG_RUNTIME_DIR; // root's; the user gets its own fallback
  const setpriv = [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'];
  return new Promise((resolve, reject) => {
    const argv = cli.endsWith('.js') ? [process.execPath, cli, ...args] : [cli, ...args];
    const child = spawn('setpriv', [...setpriv, ...argv], {
      env,
      cwd: opts.cwd ?? '/',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += String(c)));
    child.stderr.on('data', (c) => (stderr += String(c)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
}

/** runAs that throws with the output on a non-zero exit. */
export async function runAsOk(
  user: OtherUser,
  cli: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<UserRun> {
  const r = await runAs(user, cli, args, opts);
  if (r.code !== 0) {
    throw new Error(`strata ${args.join(' ')} as ${user.name} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}
