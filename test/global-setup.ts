/**
 * Global test setup: makes sure a Docker engine answers at /var/run/docker.sock for the e2e
 * tests. An engine that already answers is reused and left alone; one this setup starts (via
 * scripts/dockerd.sh) is stopped again at teardown.
 *
 * It also gives the run its own temporary directory: TMPDIR points into it for every test
 * process (os.tmpdir() reads it), and teardown removes it, so the stores, contexts and
 * layouts tests make in tmpdir() do not pile up (a run used to leave ~200 of them behind).
 * The removal stays on one filesystem: a mount some failed test left behind is not entered.
 *
 * A failure to start is reported but does not abort the run: unit tests do not need the
 * engine, and every e2e test that does calls requireDocker(), which fails with a clear message.
 *
 * When the conformance corpus (test/helpers/conformance.ts) is absent it says so once, with
 * the files whose corpus-backed tests each worker then skips (or, under CI=true, fails).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CONFORMANCE_ABSENT, conformancePresent, conformanceTestFiles, isCI } from './helpers/conformance.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../scripts/dockerd.sh', import.meta.url));

async function dockerd(action: 'start' | 'stop' | 'status'): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('bash', [SCRIPT, action], { timeout: 120_000 });
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}

function reportConformance(): void {
  if (conformancePresent) return;
  const files = conformanceTestFiles(fileURLToPath(new URL('..', import.meta.url)));
  const what = isCI() ? 'CI=true, so these fail' : 'skipping their corpus-backed tests';
  process.stderr.write(
    `global-setup: ${CONFORMANCE_ABSENT}.\n${what}:\n${files.map((f) => `  ${f}\n`).join('')}`,
  );
}

export default async function setup(): Promise<() => Promise<void>> {
  reportConformance();
  let startedHere = false;
  if (!(await dockerd('status')).ok) {
    const started = await dockerd('start');
    if (started.ok) startedHere = true;
    else
      process.stderr.write(
        `global-setup: could not start dockerd; e2e tests will fail:\n${started.output}\n`,
      );
  }
  const runTmp = mkdtempSync(join(tmpdir(), 'strata-tests-'));
  // Like /tmp itself: tests that run strata as an unprivileged user make their files here too.
  chmodSync(runTmp, 0o1777);
  process.env.TMPDIR = runTmp;
  return async () => {
    if (startedHere) await dockerd('stop');
    if (process.env.STRATA_KEEP_TEST_TMP) {
      process.stderr.write(`global-setup: kept the run's temporary files in ${runTmp}\n`);
      return;
    }
    // rm(1) rather than fs.rm: --one-file-system never follows a leftover mount into
    // someone else's files (a bind mount of a host directory, say).
    await run('rm', ['-rf', '--one-file-system', runTmp]).catch((err: Error) =>
      process.stderr.write(`global-setup: could not remove ${runTmp}: ${err.message}\n`),
    );
  };
}
