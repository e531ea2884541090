/**
 * Push and pull of a ~200 MB image against Debian's docker-registry on 127.0.0.1, strata
 * beside `docker push` / `docker pull` (issue 5). Every push goes to an empty registry
 * (restarted with fresh storage) from a store that has never compressed the layers, and
 * every pull goes into an empty store (strata) or after the image was removed (docker), so
 * each measurement does the whole job: compress + upload, or download + unpack.
 * Docker treats 127.0.0.0/8 registries as insecure (plain http) by default; strata allows
 * plain http for localhost, so neither needs configuration.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DOCKER } from './docker-engine.mjs';
import { measure } from './measure.mjs';
import { mustRun, mustStrata, runCommand, STRATA_BIN } from './strata-cli.mjs';
import { BENCH_NS, BUSYBOX } from './workloads.mjs';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
const IMAGE = `${BENCH_NS}/registry-200m:latest`;

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** Starts docker-registry with storage under `dir` (emptied first); resolves { host, stop }. */
async function startRegistry(dir) {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'config.yml'), config);
  const child = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; i < 100; i++) {
    const r = await runCommand('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `http://127.0.0.1:${port}/v2/`,
    ]);
    if (r.stdout === '200') return { host: `127.0.0.1:${port}`, stop };
    await new Promise((res) => setTimeout(res, 100));
  }
  await stop();
  throw new Error(`docker-registry did not answer on 127.0.0.1:${port}`);
}

/**
 * Runs the registry workload; resolves { strata: { push, pull }, buildkit?: { push, pull } }
 * in the shape bench.mjs records (lists of { ms, rssMb, code }).
 * @param {{ work: string, runs: number, baseRoot: string, withDocker: boolean, makeFiles: (dir: string) => void, say: (s: string) => void }} o
 */
export async function benchRegistry(o) {
  const { work, runs, baseRoot, say } = o;
  const dir = join(work, 'registry');
  const root0 = join(dir, 'store-built');
  const ctx = join(dir, 'ctx');
  await mkdir(dir, { recursive: true });
  o.makeFiles(join(ctx, 'data'));
  await writeFile(join(ctx, 'Dockerfile'), `FROM ${BUSYBOX}\nCOPY data /data\n`);
  await mustRun('cp', ['-a', baseRoot, root0]);
  await mustStrata(root0, ['build', '--progress', 'quiet', '-t', IMAGE, ctx]);
  const tar = join(dir, 'image.tar');
  if (o.withDocker) await mustStrata(root0, ['save', IMAGE, '-o', tar]);
  await rm(ctx, { recursive: true, force: true });

  const out = { strata: { push: [], pull: [] } };
  const rec = (list, m, what) => {
    if (m.code !== 0)
      say(`   ${what} failed: ${`${m.stdout}${m.stderr}`.trim().split('\n').slice(-5).join('\n')}`);
    list.push({ ms: m.ms, rssMb: m.rssMb, code: m.code });
  };
  let reg = null;
  try {
    for (let i = 0; i < runs; i++) {
      reg = await startRegistry(join(dir, 'reg'));
      const root = join(dir, `store-push-${i}`);
      await mustRun('cp', ['-a', root0, root]);
      const ref = `${reg.host}/bench/image:latest`;
      rec(
        out.strata.push,
        await measure(STRATA_BIN, ['push', '--root', root, '-q', IMAGE, ref]),
        'strata push',
      );
      await rm(root, { recursive: true, force: true });
      // The last registry stays up: the pulls read what strata pushed.
      if (i < runs - 1) await reg.stop();
    }
    const ref = `${reg.host}/bench/image:latest`;
    for (let i = 0; i < runs; i++) {
      const root = join(dir, `store-pull-${i}`);
      rec(out.strata.pull, await measure(STRATA_BIN, ['pull', '--root', root, '-q', ref]), 'strata pull');
      await rm(root, { recursive: true, force: true });
    }
    await reg.stop();
    reg = null;

    if (o.withDocker) {
      out.buildkit = { push: [], pull: [] };
      await mustRun(DOCKER, ['load', '-i', tar]);
      let dref = '';
      for (let i = 0; i < runs; i++) {
        reg = await startRegistry(join(dir, 'reg'));
        if (dref) await runCommand(DOCKER, ['rmi', dref]);
        dref = `${reg.host}/bench/image:latest`;
        await mustRun(DOCKER, ['tag', IMAGE, dref]);
        rec(out.buildkit.push, await measure(DOCKER, ['push', dref]), 'docker push');
        if (i < runs - 1) await reg.stop();
      }
      for (let i = 0; i < runs; i++) {
        // Remove every name of the image so its layers go and the pull downloads them again.
        await runCommand(DOCKER, ['rmi', '-f', IMAGE, dref]);
        rec(out.buildkit.pull, await measure(DOCKER, ['pull', '-q', dref]), 'docker pull');
      }
      await runCommand(DOCKER, ['rmi', '-f', IMAGE, dref]);
    }
  } finally {
    if (reg) await reg.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
