/**
 * Docker credential helpers: the `docker-credential-<name>` programs a Docker config names in
 * `credsStore` (every registry) or `credHelpers` (one registry), spoken to as Docker documents
 * (https://github.com/docker/docker-credential-helpers, "Usage"): one action as the argument,
 * the input on stdin, the answer on stdout.
 *
 *     get     stdin: the server URL           stdout: {"ServerURL","Username","Secret"}
 *     store   stdin: {"ServerURL","Username","Secret"}
 *     erase   stdin: the server URL
 *
 * A helper that fails prints its message on stdout and exits non-zero; `get` for a server it
 * holds nothing for says `credentials not found in native keychain`, which is "no
 * credentials", not an error. A Username of `<token>` means Secret is an identity token.
 *
 * Bounded, because a helper may prompt, wait for a keychain or hang: each call is killed
 * (with anything it started: it runs in its own process group) after
 * `STRATA_CREDENTIAL_HELPER_TIMEOUT` seconds (default 30), and its output is read up to
 * 1 MiB. The helper's name must be a plain word: a config file cannot make strata run a path.
 */
import type { ChildProcess } from 'node:child_process';
import { readStreamBounded } from '../fs/read-bounded.js';
import type { Credentials } from './credentials.js';
import { RegistryError } from './registry-error.js';

/** The answer of `get` when the helper holds nothing for the server. */
const NOT_FOUND = 'credentials not found in native keychain';
/** How Docker marks an identity token in a helper's Username. */
export const IDENTITY_TOKEN_USER = '<token>';
const MAX_OUTPUT = 1024 * 1024;
const DEFAULT_TIMEOUT_S = 30;

export interface HelperRef {
  /** The part after `docker-credential-`. */
  name: string;
  /** Where it was configured, for messages: `credsStore` or `credHelpers["gcr.io"]`. */
  from: string;
}

type Action = 'get' | 'store' | 'erase';

interface HelperAnswer {
  code: number | null;
  stdout: string;
  stderr: string;
}

function timeoutMs(env: NodeJS.ProcessEnv): number {
  const v = env.STRATA_CREDENTIAL_HELPER_TIMEOUT;
  if (v === undefined || v === '') return DEFAULT_TIMEOUT_S * 1000;
  const s = Number(v);
  if (!Number.isFinite(s) || s <= 0)
    throw new RegistryError(`STRATA_CREDENTIAL_HELPER_TIMEOUT=${v}: want seconds greater than 0`);
  return s * 1000;
}

/** Runs `docker-credential-<name> <action>` with `input` on stdin; see the module comment. */
async function callHelper(
  helper: HelperRef,
  action: Action,
  input: string,
  env: NodeJS.ProcessEnv,
): Promise<HelperAnswer> {
  const program = `docker-credential-${helper.name}`;
  const what = `credential helper ${program} (${helper.from}) ${action}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper.name))
    throw new RegistryError(`${what}: ${JSON.stringify(helper.name)} is not a helper name`);
  const limit = timeoutMs(env);
  const { spawn } = await import('node:child_process');
  let child: ChildProcess;
  try {
    // Its own process group, so a timeout kills whatever the helper started as well.
    child = spawn(program, [action], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  } catch (err) {
    throw new RegistryError(`${what}: ${(err as Error).message}`, { cause: err });
  }
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      killGroup();
      reject(
        new RegistryError(
          `${what}: no answer within ${limit / 1000}s, so it was stopped; check that it works on its own ` +
            `(echo SERVER | ${program} get), or give it longer with STRATA_CREDENTIAL_HELPER_TIMEOUT=SECONDS`,
        ),
      );
    }, limit);
  });
  try {
    child.stdin?.on('error', () => {}); // a helper that exits without reading: its exit code says why
    child.stdin?.end(input);
    const stdout = readStreamBounded(child.stdout as NodeJS.ReadableStream, MAX_OUTPUT, `${program} output`);
    const stderr = readStreamBounded(child.stderr as NodeJS.ReadableStream, MAX_OUTPUT, `${program} errors`);
    const [code, out, err] = await Promise.race([Promise.all([exited, stdout, stderr]), timedOut]);
    return { code, stdout: out.toString('utf8').trim(), stderr: err.toString('utf8').trim() };
  } catch (err) {
    killGroup();
    if (err instanceof RegistryError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new RegistryError(`${what}: ${program} is not installed (not found on PATH)`, { cause: err });
    throw new RegistryError(`${what}: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
}

function failure(helper: HelperRef, action: Action, server: string, a: HelperAnswer): RegistryError {
  const said = (a.stdout || a.stderr).split('\n')[0] || 'no message';
  return new RegistryError(
    `credential helper docker-credential-${helper.name} (${helper.from}) ${action} for ${server} failed` +
      ` (exit ${a.code ?? 'by signal'}): ${said}`,
  );
}

/** The credentials the helper holds for `server`, or undefined when it holds none. */
export async function helperGet(
  helper: HelperRef,
  server: string,
  env: NodeJS.ProcessEnv,
): Promise<Credentials | undefined> {
  const a = await callHelper(helper, 'get', server, env);
  if (a.code !== 0) {
    if (a.stdout === NOT_FOUND || a.stderr === NOT_FOUND) return undefined;
    throw failure(helper, 'get', server, a);
  }
  let v: { Username?: unknown; Secret?: unknown };
  try {
    v = JSON.parse(a.stdout);
  } catch (err) {
    throw new RegistryError(
      `credential helper docker-credential-${helper.name} (${helper.from}) get for ${server}: answer is not JSON`,
      { cause: err },
    );
  }
  const user = typeof v?.Username === 'string' ? v.Username : '';
  const secret = typeof v?.Secret === 'string' ? v.Secret : '';
  if (secret === '') return undefined;
  if (user === IDENTITY_TOKEN_USER) return { username: '', password: '', identityToken: secret };
  return { username: user, password: secret };
}

/** Hands `creds` for `server` to the helper (an identity token as Username `<token>`). */
export async function helperStore(
  helper: HelperRef,
  server: string,
  creds: Credentials,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const body =
    creds.identityToken !== undefined
      ? { ServerURL: server, Username: IDENTITY_TOKEN_USER, Secret: creds.identityToken }
      : { ServerURL: server, Username: creds.username, Secret: creds.password };
  const a = await callHelper(helper, 'store', JSON.stringify(body), env);
  if (a.code !== 0) throw failure(helper, 'store', server, a);
}

/** Asks the helper to forget `server`; one that held nothing is not an error. */
export async function helperErase(helper: HelperRef, server: string, env: NodeJS.ProcessEnv): Promise<void> {
  const a = await callHelper(helper, 'erase', server, env);
  if (a.code !== 0 && a.stdout !== NOT_FOUND && a.stderr !== NOT_FOUND)
    throw failure(helper, 'erase', server, a);
}
