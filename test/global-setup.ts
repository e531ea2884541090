/**
 * Global test setup: makes sure a Docker engine answers at /var/run/docker.sock for the e2e
 * tests. An engine that already answers is reused and left alone; one this setup starts (via
 * scripts/dockerd.sh) is stopped again at teardown.
 *
 * A failure to start is reported but does not abort the run: unit tests do not need the
 * engine, and every e2e test that does calls requireDocker(), which fails with a clear message.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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

export default async function setup(): Promise<() => Promise<void>> {
  let startedHere = false;
  if (!(await dockerd('status')).ok) {
    const started = await dockerd('start');
    if (started.ok) startedHere = true;
    else
      process.stderr.write(
        `global-setup: could not start dockerd; e2e tests will fail:\n${started.output}\n`,
      );
  }
  return async () => {
    if (startedHere) await dockerd('stop');
  };
}
