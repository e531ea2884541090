/**
 * The strata CLI as a separate process (`node dist/cmd/main.js`), for tests that kill it or
 * run several at once. dist/ must be built (`npm run build`); a missing or stale build is a
 * clear failure, not a skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../dist/cmd/main.js', import.meta.url));
const FSCK_SOURCE = fileURLToPath(new URL('../../../cmd/fsck.ts', import.meta.url));

/** Fails unless dist/ holds a build at least as new as cmd/fsck.ts. */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`reliability: ${CLI} is missing: run \`npm run build\` first`);
  const fsck = CLI.replace(/main\.js$/, 'fsck.js');
  if (!existsSync(fsck) || statSync(fsck).mtimeMs < statSync(FSCK_SOURCE).mtimeMs) {
    throw new Error('reliability: dist/ is older than the sources: run `npm run build` first');
  }
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<Finished>;
}

/** Starts `strata args...`; `done` resolves when it has exited (never rejects). */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  const done = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
  return { child, done };
}

/** Runs `strata args...` to the end; throws with its output unless it exits 0. */
export async function runCliOk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  const r = await startCli(args, env).done;
  if (r.code !== 0) {
    throw new Error(
      `strata ${args.join(' ')} exited ${r.code ?? r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
  }
  return r;
}
