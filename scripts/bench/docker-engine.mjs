/**
 * The Docker engine as a peer: is one answering, load an archive, run a container. Always
 * /usr/bin/docker (Debian's 20.10 client): /usr/local/bin/docker on this machine is a newer
 * client that speaks an API version the 20.10 engine refuses.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mustRun, REPO, runCommand } from './strata-cli.mjs';

export const DOCKER = '/usr/bin/docker';
/** Starts and stops the engine the tests use; STRATA_DOCKERD_STATE makes it a private one. */
export const DOCKERD_SCRIPT = join(REPO, 'scripts/dockerd.sh');

/**
 * Makes sure an engine answers (at DOCKER_HOST, else /var/run/docker.sock), starting one with
 * scripts/dockerd.sh when none does, as the tests do. Resolves with `started` (whether this
 * call started it) and `stop()`, which stops the engine only when this call started it: an
 * engine that already answered, perhaps serving others, is left alone. Rejects, with the
 * script's output, when no engine comes up.
 */
export async function ensureEngine() {
  if (await dockerAnswers()) return { started: false, stop: async () => '' };
  const r = await runCommand('bash', [DOCKERD_SCRIPT, 'start']);
  if (r.code !== 0 || !(await dockerAnswers()))
    throw new Error(`scripts/dockerd.sh start did not bring up an engine:\n${r.stdout}${r.stderr}`.trim());
  return {
    started: true,
    stop: async () => {
      const s = await mustRun('bash', [DOCKERD_SCRIPT, 'stop']);
      return s.stdout.trim();
    },
  };
}

/** True when /usr/bin/docker exists and `docker info` reaches an engine. */
export async function dockerAnswers() {
  if (!existsSync(DOCKER)) return false;
  const r = await runCommand(DOCKER, ['info', '--format', '{{.ServerVersion}}']);
  return r.code === 0 && r.stdout.trim() !== '';
}

/** The engine's version string, e.g. "20.10.24+dfsg1". */
export async function dockerVersion() {
  const r = await runCommand(DOCKER, ['version', '--format', '{{.Server.Version}}']);
  return r.stdout.trim();
}

/** `docker load -i FILE`; resolves with the names it loaded. */
export async function dockerLoad(file) {
  const r = await mustRun(DOCKER, ['load', '-i', file]);
  return [...r.stdout.matchAll(/Loaded image(?: ID)?: (\S+)/g)].map((m) => m[1]);
}

/**
 * Asks `url` with curl until it answers (or `timeoutMs` passes). Resolves { status, body }.
 * curl rather than fetch: fetch's timeout timer does not keep Node's event loop alive, so a
 * connection that docker-proxy accepts but the app has not yet answered let the demo exit.
 */
export async function fetchWhenUp(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await runCommand('curl', ['-sS', '--max-time', '3', '-w', '\n%{http_code}', url]);
    if (r.code === 0) {
      const i = r.stdout.lastIndexOf('\n');
      return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
    }
    last = r.stderr.trim();
    await new Promise((res) => setTimeout(res, 300));
  }
  throw new Error(`no answer from ${url} within ${timeoutMs / 1000}s: ${last}`);
}
