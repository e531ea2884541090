/**
 * Helpers for tests that need real separate processes using the store (locks, concurrent
 * commits, crashes). Children are plain Node ESM scripts (fixtures/store-child.mjs); they
 * import the store compiled from source by the project's own tsc into a temp dir, so the
 * code under test is the working tree, never a stale dist/.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repo = fileURLToPath(new URL('../../', import.meta.url));
export const childScript = fileURLToPath(new URL('./fixtures/store-child.mjs', import.meta.url));

/** Compiles store/ (and core/oci, its only import) to JS; returns the path of store/index.js. */
export async function compileStore(): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'strata-store-js-'));
  const tsc = join(repo, 'node_modules', '.bin', 'tsc');
  const args = ['--ignoreConfig', '--outDir', out, '--rootDir', repo, '--module', 'nodenext'];
  args.push('--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node');
  args.push(join(repo, 'store', 'index.ts'));
  try {
    await promisify(execFile)(tsc, args, { cwd: repo });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`compile store for child processes failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  await writeFile(join(out, 'package.json'), '{"type":"module"}\n');
  return join(out, 'store', 'index.js');
}

export interface Child {
  proc: ChildProcess;
  /** Resolves with the first stdout line matching `re` (rejects if the child exits first). */
  line(re: RegExp): Promise<string>;
  /** Resolves with all stdout once the child exits with code 0; rejects otherwise. */
  done(): Promise<string>;
  /** Sends SIGKILL and waits until the child has been reaped. */
  kill(): Promise<void>;
}

export function spawnChild(storeModule: string, args: string[]): Child {
  const proc = spawn(process.execPath, [childScript, storeModule, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of [...waiters]) {
      const hit = out.split('\n').find((l) => w.re.test(l));
      if (hit !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  void exited.then((code) => {
    for (const w of waiters) w.reject(new Error(`child exited (${code}) before printing ${w.re}: ${err}`));
  });
  return {
    proc,
    line: (re) =>
      new Promise((resolve, reject) => {
        const hit = out.split('\n').find((l) => re.test(l));
        if (hit !== undefined) resolve(hit);
        else if (proc.exitCode !== null || proc.signalCode !== null) reject(new Error(`child gone: ${err}`));
        else waiters.push({ re, resolve, reject });
      }),
    done: async () => {
      const code = await exited;
      if (code !== 0) throw new Error(`child failed (${code}): ${err}`);
      return out;
    },
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
