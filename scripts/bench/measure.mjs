/**
 * Timing and peak memory of one command. Peak RSS comes from GNU time (`/usr/bin/time -f %M`,
 * package `time`) when it is installed, else from polling /proc/<pid>/status VmHWM of the
 * direct child every 20 ms (which can miss a short final peak); `rssMethod` says which ran.
 * Either way it is the RSS of the process started, not of daemons it talks to: for
 * `docker build` that is the CLI, not dockerd/BuildKit.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';
export const rssMethod = existsSync(GNU_TIME)
  ? 'GNU time %M (the largest single process among the command and the children it waited for)'
  : '/proc/<pid>/status VmHWM polled every 20 ms';

/**
 * Runs `cmd args` and resolves { code, ms, rssMb, stdout, stderr }; never rejects on a
 * non-zero exit. `ms` is wall time measured around the child, including its start-up.
 * @param {string} cmd @param {string[]} args @param {{ cwd?: string, env?: NodeJS.ProcessEnv }} [opts]
 */
export async function measure(cmd, args, opts = {}) {
  const useTime = existsSync(GNU_TIME);
  const dir = useTime ? await mkdtemp(join(tmpdir(), 'strata-bench-time-')) : null;
  const out = dir ? join(dir, 'rss') : '';
  const [file, argv] = useTime ? [GNU_TIME, ['-f', '%M', '-o', out, cmd, ...args]] : [cmd, args];
  let hwmKb = 0;
  const r = await new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, argv, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = useTime
      ? null
      : setInterval(async () => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'));
            if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
          } catch {
            // the child has exited
          }
        }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      resolve({ code: code ?? 1, ms: Number(process.hrtime.bigint() - start) / 1e6, stdout, stderr });
    });
  });
  if (dir) {
    try {
      // GNU time writes "Command exited with non-zero status N" before the number on failure.
      const lines = (await readFile(out, 'utf8')).trim().split('\n');
      hwmKb = Number(lines.at(-1)) || 0;
    } catch {
      hwmKb = 0;
    }
    await rm(dir, { recursive: true, force: true });
  }
  return { ...r, rssMb: hwmKb / 1024 };
}

/** Median of a non-empty list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
