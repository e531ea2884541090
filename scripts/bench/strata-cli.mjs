/**
 * Runs the compiled strata CLI (dist/cmd/strata) as a child process, the way a user does, and
 * returns its output and wall time. Scripts only; tests call the CLI in-process.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const STRATA_MAIN = fileURLToPath(new URL('../../dist/cmd/main.js', import.meta.url));
/** The `strata` command as installed (the launcher in front of STRATA_MAIN: cmd/strata.sh). */
export const STRATA_BIN = fileURLToPath(new URL('../../dist/cmd/strata', import.meta.url));

/**
 * Runs a command; resolves with { code, stdout, stderr, ms } (never rejects on a non-zero
 * exit: callers decide). `opts.input` is written to stdin; `opts.tee` copies output live.
 * @param {string} cmd @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, tee?: boolean }} [opts]
 */
export function runCommand(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (opts.tee) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (opts.tee) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms, pid: child.pid });
    });
  });
}

/** Like runCommand, but throws with the command's output when it exits non-zero. */
export async function mustRun(cmd, args, opts = {}) {
  const r = await runCommand(cmd, args, opts);
  if (r.code !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${tail}`);
  }
  return r;
}

/** Runs `strata ...args` with --root placed after the subcommand. */
export function strata(root, args, opts = {}) {
  const [sub, ...rest] = args;
  const full = root ? [sub, '--root', root, ...rest] : args;
  return runCommand(STRATA_BIN, full, opts);
}

/** strata(), throwing on a non-zero exit. */
export async function mustStrata(root, args, opts = {}) {
  const r = await strata(root, args, opts);
  if (r.code !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`strata ${args.join(' ')} exited ${r.code}:\n${tail}`);
  }
  return r;
}

/** The arguments of a bench build of workload `wl` in `ctx` (root and rootless strata alike). */
export function buildArgs(root, wl, ctx, image) {
  return ['build', '--root', root, '--progress', 'plain', '-t', image, '-f', join(ctx, wl.dockerfile), ctx];
}
