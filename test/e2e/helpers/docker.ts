/**
 * Runs the Docker CLI. Always /usr/bin/docker: the machine also has a newer client in
 * /usr/local/bin that talks a different API version to the 20.10 engine.
 */
import { spawn } from 'node:child_process';
import { strataOk } from '../../helpers/cli.js';

export const DOCKER = '/usr/bin/docker';

export interface DockerResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs `docker ...args` and resolves with its output; rejects with the command line, exit
 * status and stderr when it exits non-zero. `input` is written to stdin when given.
 */
export function docker(
  args: string[],
  opts: { input?: Buffer | string; env?: NodeJS.ProcessEnv } = {},
): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`docker ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim()}`));
    });
    child.stdin.end(opts.input);
  });
}

/**
 * Builds CONTEXT with strata (`-q -t TAG [...flags]`) into a docker archive at `tar` and
 * `docker load`s it, so `docker run TAG` runs what strata built.
 */
export async function buildAndLoad(
  root: string,
  ctx: string,
  tag: string,
  tar: string,
  flags: string[] = [],
): Promise<void> {
  await strataOk([
    'build',
    '--root',
    root,
    '-q',
    ...flags,
    '-t',
    tag,
    '--output',
    `type=docker,dest=${tar}`,
    ctx,
  ]);
  await docker(['load', '-i', tar]);
}
