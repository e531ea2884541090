/**
 * The three builders the benchmark compares, behind one shape:
 *   init(bases)        load the base images (the same bytes in every builder)
 *   prepareCold(wl)    make the next build of `wl` cold (nothing cached but the bases)
 *   build(wl, ctx, o)  one timed build; o.cold asks for a cold build where that is a flag
 *   exportTar(wl, f)   write the built image as a tar `docker load` accepts
 *   cleanup()          remove what init and the builds made
 * build/exportTar resolve measure()'s { code, ms, rssMb, stdout, stderr }.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DOCKER, dockerAnswers, dockerVersion } from './docker-engine.mjs';
import { measure } from './measure.mjs';
import { buildArgs, mustRun, mustStrata, REPO, runCommand, STRATA_BIN } from './strata-cli.mjs';
import { BENCH_NS, BUSYBOX, NODE } from './workloads.mjs';

const imageName = (wl) => `${BENCH_NS}/${wl.id}:latest`;

/** strata, each workload in its own store copied from a store that holds only the bases. */
export function strataBuilder(work) {
  const baseRoot = join(work, 'strata-base');
  const rootOf = (wl) => join(work, 'strata', wl.id);
  return {
    id: 'strata',
    label: 'strata',
    baseRoot,
    /** Makes the bases with samples/base and saves them as tars for the peers. */
    async init(needs) {
      await mkdir(join(work, 'bases'), { recursive: true });
      const bases = {};
      await mustRun('bash', [join(REPO, 'samples/base/make-busybox.sh'), '--root', baseRoot], { tee: true });
      await mustStrata(baseRoot, ['tag', 'busybox:latest', BUSYBOX]);
      bases.busybox = join(work, 'bases/busybox.tar');
      await mustStrata(baseRoot, ['save', BUSYBOX, '-o', bases.busybox]);
      if (needs.has('node')) {
        await mustRun('bash', [join(REPO, 'samples/base/make-node.sh'), '--root', baseRoot], { tee: true });
        await mustStrata(baseRoot, ['tag', 'strata-node:bookworm', NODE]);
        bases.node = join(work, 'bases/node.tar');
        await mustStrata(baseRoot, ['save', NODE, '-o', bases.node]);
      }
      return bases;
    },
    async prepareCold(wl) {
      await rm(rootOf(wl), { recursive: true, force: true });
      await mkdir(join(work, 'strata'), { recursive: true });
      await mustRun('cp', ['-a', baseRoot, rootOf(wl)]);
    },
    /** With STRATA_TIMINGS=1: the result's stderr ends with where the time went. */
    build(wl, ctx) {
      return measure(STRATA_BIN, buildArgs(rootOf(wl), wl, ctx, imageName(wl)), {
        env: { ...process.env, STRATA_TIMINGS: '1' },
      });
    },
    exportTar(wl, file) {
      return measure(STRATA_BIN, ['save', '--root', rootOf(wl), imageName(wl), '-o', file]);
    },
    async cleanup() {
      await rm(join(work, 'strata'), { recursive: true, force: true });
      await rm(baseRoot, { recursive: true, force: true });
    },
  };
}

/** `DOCKER_BUILDKIT=1 /usr/bin/docker build`; cold = after `docker builder prune -af`. */
export async function buildkitBuilder() {
  if (!existsSync(DOCKER)) return { unavailable: `${DOCKER} is not installed` };
  if (!(await dockerAnswers())) {
    const started = await runCommand('bash', [join(REPO, 'scripts/dockerd.sh'), 'start']);
    if (started.code !== 0 || !(await dockerAnswers()))
      return {
        unavailable: `no Docker engine answers and scripts/dockerd.sh start failed: ${started.stderr.trim()}`,
      };
  }
  const env = { ...process.env, DOCKER_BUILDKIT: '1' };
  const built = new Set();
  return {
    id: 'buildkit',
    label: `BuildKit (docker ${await dockerVersion()})`,
    async init(_needs, bases) {
      for (const tar of Object.values(bases)) await mustRun(DOCKER, ['load', '-i', tar]);
    },
    async prepareCold(wl) {
      await runCommand(DOCKER, ['rmi', '-f', imageName(wl)]);
      // Drops BuildKit's whole build cache, the context-transfer snapshots included.
      await mustRun(DOCKER, ['builder', 'prune', '-af']);
    },
    build(wl, ctx) {
      built.add(imageName(wl));
      return measure(
        DOCKER,
        ['build', '--progress', 'plain', '-t', imageName(wl), '-f', join(ctx, wl.dockerfile), ctx],
        { env },
      );
    },
    exportTar(wl, file) {
      return measure(DOCKER, ['save', '-o', file, imageName(wl)]);
    },
    async cleanup() {
      await runCommand(DOCKER, ['rmi', '-f', ...built, BUSYBOX, NODE]);
      await runCommand(DOCKER, ['builder', 'prune', '-af']);
    },
  };
}

/** `buildah bud --layers` with its storage under the work dir; cold = `--no-cache`. */
export async function buildahBuilder(work) {
  const which = await runCommand('sh', ['-c', 'command -v buildah']);
  if (which.code !== 0) return { unavailable: 'buildah is not installed' };
  const storage = join(work, 'buildah');
  const global = [
    '--root',
    join(storage, 'root'),
    '--runroot',
    join(storage, 'run'),
    '--storage-driver',
    'overlay',
  ];
  let isolation = 'oci';
  const version = (await runCommand('buildah', ['--version'])).stdout.trim().split(' ')[2];
  return {
    id: 'buildah',
    label: `buildah ${version}`,
    async init(_needs, bases) {
      await mkdir(storage, { recursive: true });
      for (const [name, tar] of Object.entries(bases)) {
        const ref = name === 'node' ? NODE : BUSYBOX;
        const pulled = await mustRun('buildah', [...global, 'pull', '-q', `docker-archive:${tar}`]);
        await mustRun('buildah', [...global, 'tag', pulled.stdout.trim().split('\n').at(-1), ref]);
      }
      // Prefer runc (what strata and BuildKit use); fall back to chroot where runc cannot run here.
      const probe = join(work, 'buildah-probe');
      await mkdir(probe, { recursive: true });
      await mustRun('sh', ['-c', `printf 'FROM ${BUSYBOX}\\nRUN true\\n' > ${probe}/Dockerfile`]);
      const r = await runCommand('buildah', [
        ...global,
        'bud',
        '--pull=never',
        '--isolation',
        'oci',
        '-q',
        probe,
      ]);
      if (r.code !== 0) isolation = 'chroot';
      this.label = `buildah ${version} (--isolation ${isolation})`;
    },
    async prepareCold() {},
    build(wl, ctx, o = {}) {
      return measure('buildah', [
        ...global,
        'bud',
        '--layers',
        '--pull=never',
        '--isolation',
        isolation,
        // strata's RUN shares the host's network by default; no CNI set-up needed here either.
        '--network',
        'host',
        ...(o.cold ? ['--no-cache'] : []),
        '-t',
        imageName(wl),
        '-f',
        join(ctx, wl.dockerfile),
        ctx,
      ]);
    },
    exportTar(wl, file) {
      return measure('buildah', [
        ...global,
        'push',
        imageName(wl),
        `docker-archive:${file}:${imageName(wl)}`,
      ]);
    },
    async cleanup() {
      await runCommand('buildah', [...global, 'rm', '--all']);
      await runCommand('buildah', [...global, 'rmi', '--all', '--force']);
      // overlay storage may leave mounts; unmount before removing the tree.
      await runCommand('sh', [
        '-c',
        `grep -o '${storage}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l`,
      ]);
      await rm(storage, { recursive: true, force: true });
    },
  };
}
