/**
 * strata in a container without --privileged, the two ways CI runs it (README "Rootless and
 * CI"): strata's own image, built by strata from the repository's Dockerfile, builds the
 * seed's Dockerfile.good inside `docker run`
 * (a) as its non-root user in a user namespace, with only the security options that allow
 *     one (seccomp and system paths unconfined), and
 * (b) in a fully default container as root with --isolation=chroot (the container is the
 *     sandbox);
 * and what each produces loads and runs in Docker. A default container without either is
 * refused at once, saying what to do.
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, cp, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxArchive } from '../helpers/busybox-base.js';
import { strataOk } from '../helpers/cli.js';
import { docker, requireDocker, requireRoot, requireTool, useTempDirs } from './helpers/index.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SEED = fileURLToPath(new URL('../samples/seed-busybox/', import.meta.url));
const IMAGE = 'strata-e2e-self:1';
const tmp = useTempDirs('strata-docker-');

let work: string;
let baseTar: string;
let ctx: string;

beforeAll(async () => {
  requireRoot();
  requireDocker();
  requireTool('debootstrap');
  work = await tmp();
  await chmod(work, 0o755);
  // strata's image, built by strata: the Node base from samples/base, then `strata build .`.
  const selfStore = await tmp();
  execFileSync('bash', [join(REPO, 'samples/base/make-node.sh'), '--root', selfStore], { stdio: 'pipe' });
  const selfTar = join(work, 'strata-image.tar');
  await strataOk([
    'build',
    '--root',
    selfStore,
    '-q',
    '-t',
    IMAGE,
    '--output',
    `type=docker,dest=${selfTar}`,
    REPO,
  ]);
  await docker(['load', '-i', selfTar]);
  // What the builds inside get: a busybox base archive and the seed's context.
  baseTar = join(work, 'busybox.tar');
  await busyboxArchive(baseTar);
  ctx = join(work, 'seed');
  await cp(SEED, ctx, { recursive: true });
  execFileSync('chmod', ['-R', 'a+rX', ctx]);
}, 600_000);

afterAll(async () => {
  await docker(['rmi', IMAGE]).catch(() => undefined);
});

/** A host directory the image's user (uid 1000) owns: a store volume or an output dir. */
async function dirFor(name: string, uid: number): Promise<string> {
  const d = join(work, name);
  await mkdir(d, { recursive: true });
  await chown(d, uid, uid);
  return d;
}

/** `docker run` of strata's image: load the base, build the seed into /out/image.tar. */
function buildInside(
  dockerArgs: string[],
  strataArgs: string[] = [],
): Promise<{ stdout: string; stderr: string }> {
  const script =
    'strata load -i /in/busybox.tar >/dev/null && ' +
    `strata build -q -t seed-inside:1 -f /ctx/Dockerfile.good ${strataArgs.join(' ')} --output type=docker,dest=/out/image.tar /ctx`;
  return docker([
    'run',
    '--rm',
    ...dockerArgs,
    '-v',
    `${baseTar}:/in/busybox.tar:ro`,
    '-v',
    `${ctx}:/ctx:ro`,
    '--entrypoint',
    'sh',
    IMAGE,
    '-c',
    script,
  ]);
}

async function loadAndRun(tar: string): Promise<string> {
  await docker(['load', '-i', tar]);
  const { stdout } = await docker(['run', '--rm', 'seed-inside:1']);
  await docker(['rmi', 'seed-inside:1']);
  return stdout;
}

describe("strata's own image in docker run without --privileged", () => {
  it('(a) rootless in a user namespace, with seccomp and system paths unconfined', async () => {
    const out = await dirFor('out-a', 1000);
    const store = await dirFor('store-a', 1000);
    await buildInside([
      '--security-opt',
      'seccomp=unconfined',
      '--security-opt',
      'apparmor=unconfined',
      '--security-opt',
      'systempaths=unconfined',
      '-v',
      `${store}:/home/strata/.local/share/strata`,
      '-v',
      `${out}:/out`,
    ]);
    expect(await loadAndRun(join(out, 'image.tar'))).toBe(await readFile(join(SEED, 'index.js'), 'utf8'));
  }, 300_000);

  it('(b) a fully default container, as root, with --isolation=chroot', async () => {
    const out = await dirFor('out-b', 0);
    const store = await dirFor('store-b', 0);
    const r = await buildInside(
      ['--user', '0', '-v', `${store}:/root/.local/share/strata`, '-v', `${out}:/out`],
      ['--isolation=chroot'],
    );
    expect(r.stderr).toContain('RUN steps are not sandboxed; the container strata runs in is the sandbox');
    expect(await loadAndRun(join(out, 'image.tar'))).toBe(await readFile(join(SEED, 'index.js'), 'utf8'));
  }, 300_000);

  it('a fully default container without chroot isolation is refused at once, saying what it needs', async () => {
    const out = await dirFor('out-c', 1000);
    const err = await buildInside(['-v', `${out}:/out`]).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(err).toContain('cannot create a user namespace here');
    expect(err).toContain('seccomp=unconfined');
    expect(err).toContain('--isolation=chroot');
  }, 120_000);
});
