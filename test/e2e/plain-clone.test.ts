/**
 * A newcomer's clone: the repository cloned at HEAD into a directory with no ../shared beside
 * it, and every test outside test/e2e run there as `npm test` runs them, outside CI. It must
 * pass: tests that need the conformance corpus are skipped, and the run says once which and
 * why (test/helpers/conformance.ts); nothing else may reach outside the clone.
 *
 * Slow (a build and the whole non-e2e suite, one worker), so it lives here and runs once per
 * CI run. It tests what is committed: uncommitted changes are not in the clone.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { conformanceTestFiles } from '../helpers/conformance.js';
import { useTempDirs } from './helpers/index.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const tmp = useTempDirs('strata-plain-clone-');

/** The environment of a shell outside CI and outside this vitest run. */
function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(CI|STRATA_CONFORMANCE_DIR|VITEST.*|TEST|NODE_ENV)$/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

it(
  'passes the non-e2e suite in a clone without ../shared, naming the skipped corpus tests',
  async () => {
    const parent = await tmp();
    const clone = join(parent, 'strata');
    const head = (await run('git', ['-C', REPO, 'rev-parse', 'HEAD'])).stdout.trim();
    await run('git', ['clone', '--quiet', '--shared', '--no-checkout', REPO, clone]);
    await run('git', ['-C', clone, 'checkout', '--quiet', head]);
    expect(existsSync(join(parent, 'shared'))).toBe(false);
    // Stands in for `npm ci`: the same lockfile, already installed.
    await symlink(join(REPO, 'node_modules'), join(clone, 'node_modules'));

    let out: { stdout: string; stderr: string; code: number };
    try {
      const r = await run('npm', ['test', '--', '--exclude', 'test/e2e/**', '--maxWorkers=1'], {
        cwd: clone,
        env: plainEnv(),
        maxBuffer: 256 * 1024 * 1024,
        timeout: 40 * 60_000,
      });
      out = { ...r, code: 0 };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; code?: number };
      out = { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.code ?? -1 };
    }
    const text = `${out.stdout}\n${out.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    const summary = text.split('\n').filter((l) => /^\s*(Test Files|Tests)\s/.test(l));
    const skipped = text
      .split('\n')
      .filter((l) => /conformance corpus absent|^skipping their corpus-backed tests|^ {2}test\//.test(l));
    console.log(`[plain clone at ${head.slice(0, 7)}]\n${[...skipped, ...summary].join('\n')}`);
    expect(out.code, text.slice(-6000)).toBe(0);
    expect(text).toMatch(/conformance corpus absent: .*shared\/conformance\/? does not exist/);
    for (const f of conformanceTestFiles(REPO)) expect(skipped).toContain(`  ${f}`);
    expect(summary.join('\n')).toMatch(/Tests\s+\d+ passed \| \d+ skipped/);
  },
  45 * 60_000,
);
