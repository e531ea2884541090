/**
 * `npm run demo` on a machine where no Docker engine runs: its load-and-run part
 * (`scripts/demo.mjs --serve`) must start an engine the way the tests do, load a strata-built
 * image, serve it, get an answer from the container's port 3000, and stop the engine it
 * started, leaving nothing of it behind.
 *
 * The shared engine at /var/run/docker.sock serves other tests meanwhile, so "no engine
 * runs" is made true for a private one (scripts/dockerd.sh with STRATA_DOCKERD_STATE): its
 * own socket, state, pidfile and bridge, and no iptables rules. The test also checks that
 * the shared engine, docker0 and the iptables rules are as they were. The image is busybox
 * httpd (offline), where the demo serves the Node app.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { strata } from '../helpers/cli.js';
import { requireRoot, requireTool, useTempDirs } from './helpers/index.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DOCKER = '/usr/bin/docker';
const BRIDGE = `strata-dt${process.pid % 10000}`;
const tmp = useTempDirs('strata-demo-serve-');

let state: string;
let env: NodeJS.ProcessEnv;

function privateEngineAnswers(): boolean {
  return (
    spawnSync(DOCKER, ['version', '--format', '{{.Server.Version}}'], { env, timeout: 20_000 }).status === 0
  );
}

/** Processes whose command line names `dir` (the private engine, its containerd, shims). */
function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(dir)) found.push(`${pid} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** iptables rules without counters: what a second engine could have rewritten. */
function iptablesRules(): string {
  return execFileSync('iptables-save', { encoding: 'utf8' })
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''))
    .join('\n');
}

const linkExists = (name: string) => spawnSync('ip', ['link', 'show', name]).status === 0;

beforeAll(() => {
  requireRoot();
  for (const tool of ['dockerd', DOCKER, 'ip', 'iptables-save', 'curl']) requireTool(tool);
});

afterAll(() => {
  // Only after a failure: whatever the demo left of its engine goes, and only that one.
  if (state && existsSync(join(state, 'dockerd.pid')))
    spawnSync('bash', [join(REPO, 'scripts/dockerd.sh'), 'stop'], { env, stdio: 'inherit' });
});

it('starts an engine, serves the image on port 3000, and stops only the engine it started', async () => {
  // Under the run's TMPDIR: short enough for the containerd socket the engine makes in it.
  state = await tmp();
  env = {
    ...process.env,
    DOCKER_HOST: `unix://${state}/docker.sock`,
    STRATA_DOCKERD_STATE: state,
    STRATA_DOCKERD_BRIDGE: BRIDGE,
    STRATA_DOCKERD_BRIDGE_CIDR: '10.213.48.1/24',
  };
  expect(privateEngineAnswers()).toBe(false);
  expect(linkExists(BRIDGE)).toBe(false);

  const root = await tmp();
  const ctx = await tmp();
  await importBusybox(root);
  await mkdir(join(ctx, 'www'));
  await writeFile(join(ctx, 'www', 'index.html'), 'hello from a strata-built image\n');
  await writeFile(
    join(ctx, 'Dockerfile'),
    'FROM busybox\nCOPY www /www\nEXPOSE 3000\nCMD ["/bin/busybox", "httpd", "-f", "-p", "3000", "-h", "/www"]\n',
  );
  const image = 'strata-demo-serve/httpd:1';
  const built = await strata(['build', '--root', root, '-q', '-t', image, ctx]);
  expect(built.code, built.stderr).toBe(0);
  const tar = join(ctx, 'image.tar');
  const saved = await strata(['save', '--root', root, image, '-o', tar]);
  expect(saved.code, saved.stderr).toBe(0);

  const shared = spawnSync(DOCKER, ['version'], { env: { ...process.env, DOCKER_HOST: '' } }).status === 0;
  const docker0 = linkExists('docker0');
  const rules = iptablesRules();

  const demo = spawnSync(
    process.execPath,
    [join(REPO, 'scripts/demo.mjs'), '--serve', tar, '--image', image],
    {
      env,
      encoding: 'utf8',
      timeout: 240_000,
    },
  );
  const out = `${demo.stdout}${demo.stderr}`;
  console.log(out);
  expect(demo.status, out).toBe(0);
  expect(out).toMatch(/no engine answered at unix:\/\/.*; started one with scripts\/dockerd\.sh start/);
  expect(out).toMatch(
    /curl http:\/\/127\.0\.0\.1:\d+\/ \(the container's port 3000\) -> 200 hello from a strata-built image/,
  );
  expect(out).toMatch(/Docker: stopped the engine the demo started \(dockerd: stopped pid \d+/);

  // Nothing of the engine it started is left: no answer, no process, no pidfile, no bridge.
  expect(privateEngineAnswers()).toBe(false);
  expect(processesUnder(state)).toEqual([]);
  expect(existsSync(join(state, 'dockerd.pid'))).toBe(false);
  expect(linkExists(BRIDGE)).toBe(false);
  // And nothing of anyone else's was touched.
  expect(spawnSync(DOCKER, ['version'], { env: { ...process.env, DOCKER_HOST: '' } }).status === 0).toBe(
    shared,
  );
  expect(linkExists('docker0')).toBe(docker0);
  expect(iptablesRules()).toBe(rules);
}, 300_000);
