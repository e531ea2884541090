/**
 * explore reads an image Docker built (BuildKit, Engine 20.10) from its `docker save` tar,
 * without importing it: the layers, image ID and instructions must be what `docker image
 * inspect` and `docker history` report, and the changes what the Dockerfile did.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../store/index.js';
import { strataOk } from '../helpers/cli.js';
import {
  docker,
  makeBusyboxRootfs,
  makeStoreImage,
  requireDocker,
  requireRoot,
  useTempDirs,
} from './helpers/index.js';

const tempDir = useTempDirs('strata-explore-docker-');
const BASE = `i17-busybox:${process.pid}`;
const IMAGE = `i17-explore-docker:${process.pid}`;
let dir: string;
let root: string;

beforeAll(async () => {
  requireRoot();
  requireDocker();
  dir = await tempDir();
  root = join(dir, 'root');
  await makeStoreImage(await Store.open(root), [makeBusyboxRootfs], { tag: BASE });
  await strataOk(['save', '--root', root, BASE, '-o', join(dir, 'base.tar')]);
  await docker(['load', '-i', join(dir, 'base.tar')]);
  const ctx = join(dir, 'ctx');
  await mkdir(ctx);
  await writeFile(join(ctx, 'run.sh'), 'echo run\n', { mode: 0o644 });
  await writeFile(join(ctx, 'gone.txt'), 'soon deleted\n');
  await writeFile(
    join(ctx, 'Dockerfile'),
    `FROM ${BASE}\nCOPY run.sh gone.txt /app/\nRUN chmod 755 /app/run.sh && rm /app/gone.txt\nENV A=1\n`,
  );
  await docker(['build', '-q', '-t', IMAGE, ctx], { env: { DOCKER_BUILDKIT: '1' } });
  await docker(['save', '-o', join(dir, 'docker.tar'), IMAGE]);
}, 300_000);

afterAll(async () => {
  await docker(['rmi', '-f', IMAGE, BASE]).catch(() => {});
});

describe('explore a docker save tar of an image Docker built', () => {
  it('agrees with docker image inspect and docker history, and shows the changes', async () => {
    const tar = join(dir, 'docker.tar');
    const j = JSON.parse((await strataOk(['explore', '--root', root, '--json', tar])).stdout);
    const inspect = JSON.parse((await docker(['image', 'inspect', IMAGE])).stdout)[0];
    expect(j.kind).toBe('docker-archive');
    expect(j.id).toBe(inspect.Id);
    expect(j.layers.map((l: { diffId: string }) => l.diffId)).toEqual(inspect.RootFS.Layers);
    // docker history: newest first, every history entry (empty ENV ones too).
    const history = (await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', IMAGE])).stdout
      .trim()
      .split('\n')
      .reverse();
    const ours = j.layers.map((l: { instruction: string }) => l.instruction);
    expect(ours).toHaveLength(3);
    let at = 0;
    for (const ins of ours) {
      at = history.indexOf(ins, at);
      expect(at, `${ins} in docker history`).toBeGreaterThanOrEqual(0);
    }
    expect(ours[1]).toMatch(/COPY run\.sh gone\.txt \/app\//);
    expect(ours[2]).toMatch(/RUN .*chmod 755 \/app\/run\.sh/);
    const changes = (i: number) =>
      j.layers[i].changes.map((c: { status: string; path: string; note?: string }) =>
        [c.status, c.path, c.note].filter((x) => x !== undefined).join(' '),
      );
    expect(changes(1)).toEqual(['added /app', 'added /app/gone.txt', 'added /app/run.sh']);
    // Docker's RUN layer also holds the mount points it made for the container (BuildKit does).
    expect(changes(2)).toEqual([
      'deleted /app/gone.txt',
      'modified /app/run.sh mode 0644 -> 0755',
      'added /dev',
      'added /proc',
      'added /sys',
    ]);
    expect(j.waste.wastedBytes).toBe(13 + 9);

    const text = (await strataOk(['blame', '--root', root, tar, '/app/run.sh'])).stdout;
    expect(text.split('\n')[0]).toMatch(/^\/app\/run\.sh: last written by layer 3: RUN .*chmod 755/);
  });
});
