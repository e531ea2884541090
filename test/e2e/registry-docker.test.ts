/**
 * Interop with Docker 20.10 through Debian's docker-registry: the engine pulls (and runs)
 * what strata pushed, and strata pulls what the engine pushed, with the same image IDs and
 * diffIDs on both sides.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeLayerTar } from '../../core/diff/write-layer-tar.js';
import { readImage } from '../../core/image/read-image.js';
import { pullImage } from '../../core/registry/pull-image.js';
import { pushImage } from '../../core/registry/push-image.js';
import { Store } from '../../store/index.js';
import { makeBusyboxRootfs } from './helpers/busybox-rootfs.js';
import { docker } from './helpers/docker.js';
import { type RunningRegistry, startRegistry } from './helpers/registry.js';
import { requireDocker } from './helpers/require.js';
import { makeStoreImage } from './helpers/store-image.js';
import { useTempDirs } from './helpers/temp-dirs.js';

const tempDir = useTempDirs();
let registry: RunningRegistry;
const dockerRefs: string[] = [];
const anon = { credentials: null } as const;

beforeAll(async () => {
  requireDocker();
  registry = await startRegistry();
});
afterAll(async () => {
  if (dockerRefs.length > 0) await docker(['rmi', '-f', ...dockerRefs]).catch(() => {});
  await registry?.stop();
});

async function inspect(ref: string): Promise<{ id: string; layers: string[] }> {
  const { stdout } = await docker(['image', 'inspect', '--format', '{{.Id}} {{json .RootFS.Layers}}', ref]);
  const [id, layers] = stdout.trim().split(' ');
  return { id, layers: JSON.parse(layers) };
}

it('docker pulls and runs what strata pushed', async () => {
  const store = await Store.open(await tempDir());
  const image = await makeStoreImage(store, [
    makeBusyboxRootfs,
    async (dir) => {
      await mkdir(join(dir, 'etc'));
      await writeFile(join(dir, 'etc/greeting'), 'pushed by strata\n');
    },
  ]);
  const ref = `${registry.host}/interop/from-strata:1`;
  await pushImage(store, { config: image.config }, ref, anon);
  dockerRefs.push(ref);
  await docker(['pull', ref]);
  const seen = await inspect(ref);
  expect(seen.id).toBe(image.config);
  expect(seen.layers).toEqual(image.diffIds);
  const { stdout } = await docker(['run', '--rm', '--network', 'none', ref, '/bin/cat', '/etc/greeting']);
  expect(stdout).toBe('pushed by strata\n');
});

it('strata pulls what docker pushed', async () => {
  const dir = await tempDir();
  await makeBusyboxRootfs(dir);
  await writeFile(join(dir, 'etc/greeting'), 'pushed by docker\n');
  const chunks: Buffer[] = [];
  await writeLayerTar(
    dir,
    new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    }),
  );
  const ref = `${registry.host}/interop/from-docker:1`;
  dockerRefs.push(ref);
  await docker(['import', '-', ref], { input: Buffer.concat(chunks) });
  await docker(['push', ref]);
  const seen = await inspect(ref);
  const store = await Store.open(await tempDir());
  const pulled = await pullImage(store, ref, anon);
  expect(pulled.config).toBe(seen.id);
  const back = await readImage(store, pulled.config);
  expect(back.config.rootfs.diff_ids).toEqual(seen.layers);
  expect(await readFile(join(store.diffPath(back.layers[0].chainId), 'etc/greeting'), 'utf8')).toBe(
    'pushed by docker\n',
  );
});
