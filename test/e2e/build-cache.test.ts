/**
 * The seed's cache semantics, end to end through `strata build`: a no-op rebuild is all
 * CACHED with the same image ID; a change to one copied file misses that COPY and every
 * later step while earlier steps hit; ignored files, mtime-only touches change nothing; a
 * chmod misses the COPY. Needs root (RUN goes through runc and overlay).
 */
import { chmod, mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { stepOutcomes, strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();

const DOCKERFILE = `FROM busybox
WORKDIR /app
COPY package.json ./
RUN cp package.json /installed.json
COPY . .
RUN ls /app > /listing.txt
CMD ["cat", "/listing.txt"]
`;

async function makeContext(dir: string): Promise<void> {
  await writeFile(join(dir, 'Dockerfile'), DOCKERFILE);
  await writeFile(join(dir, 'package.json'), '{"name":"app","version":"1.0.0"}\n');
  await writeFile(join(dir, 'index.js'), 'console.log("hi");\n');
  await writeFile(join(dir, '.dockerignore'), 'ignored.log\nDockerfile\n');
  await writeFile(join(dir, 'ignored.log'), 'noise\n');
}

describe('strata build: the cache, as the seed describes it', () => {
  let root: string;
  let ctx: string;
  const build = async (...extra: string[]) => {
    const r = await strataOk([
      'build',
      '--root',
      root,
      '--progress',
      'plain',
      '-t',
      'app:test',
      ...extra,
      ctx,
    ]);
    const id = /writing image (sha256:[a-f0-9]{64})/.exec(r.stderr)?.[1];
    return { steps: stepOutcomes(r.stderr), id, out: r.stderr };
  };

  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    ctx = await tmp();
    await makeContext(ctx);
    await importBusybox(root);
  });

  it('a cold build runs every step', async () => {
    const { steps, id } = await build();
    expect(id).toBeDefined();
    expect(steps.map((s) => s.name)).toEqual([
      '[2/6] WORKDIR /app',
      '[3/6] COPY package.json ./',
      '[4/6] RUN cp package.json /installed.json',
      '[5/6] COPY . .',
      '[6/6] RUN ls /app > /listing.txt',
      '[cmd] CMD ["cat", "/listing.txt"]',
    ]);
  });

  it('a rebuild with no change is all CACHED with the same image ID', async () => {
    const first = await build();
    const again = await build();
    expect(again.steps.every((s) => s.cached)).toBe(true);
    expect(again.id).toBe(first.id);
  });

  it('a comment added to a copied file misses that COPY and every later step; earlier steps hit', async () => {
    await writeFile(join(ctx, 'index.js'), '// a comment\nconsole.log("hi");\n');
    const { steps } = await build();
    expect(steps.map((s) => s.cached)).toEqual([true, true, true, false, false, false]);
    expect(steps[3].reason).toContain('index.js');
    expect(steps[4].reason).toContain('cascade from [5/6] COPY . .');
  });

  it('a COPY that misses for one changed file links the unchanged ones from its previous layer', async () => {
    await build();
    await writeFile(join(ctx, 'index.js'), '// another comment\nconsole.log("hi");\n');
    await build();
    const { stat: statFile } = await import('node:fs/promises');
    const { chainIds } = await import('../../core/oci/digest.js');
    const layers = JSON.parse(
      (await strataOk(['inspect', '--root', root, '--format', '{{json .RootFS.Layers}}', 'app:test'])).stdout,
    );
    // Layers: busybox, WORKDIR, COPY package.json, RUN, COPY . ., RUN.
    const copyLayer = join(root, 'layers', chainIds(layers)[4].slice(7), 'diff', 'app');
    expect((await statFile(join(copyLayer, 'index.js'))).nlink).toBe(1);
    expect((await statFile(join(copyLayer, 'package.json'))).nlink).toBeGreaterThan(1);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(join(copyLayer, 'index.js'), 'utf8')).toContain('another comment');
  });

  it('a change to a .dockerignored file misses nothing', async () => {
    await build();
    await writeFile(join(ctx, 'ignored.log'), 'different noise\n');
    const { steps } = await build();
    expect(steps.every((s) => s.cached)).toBe(true);
  });

  it('an mtime-only touch misses nothing', async () => {
    await build();
    const later = new Date(Date.now() + 60_000);
    await utimes(join(ctx, 'index.js'), later, later);
    await utimes(join(ctx, 'package.json'), later, later);
    const { steps } = await build();
    expect(steps.every((s) => s.cached)).toBe(true);
  });

  it('a chmod makes the COPY miss', async () => {
    await build();
    await chmod(join(ctx, 'index.js'), 0o755);
    const { steps } = await build();
    expect(steps.map((s) => s.cached)).toEqual([true, true, true, false, false, false]);
  });

  it('--no-cache runs everything and says why', async () => {
    const { steps } = await build('--no-cache');
    expect(steps.every((s) => !s.cached)).toBe(true);
    expect(steps[0].reason).toContain('--no-cache');
  });

  it('the layer dir of a COPY holds exactly the files it copied', async () => {
    const layers = await readdir(join(root, 'layers'));
    expect(layers.length).toBeGreaterThan(3);
    const dirs = await Promise.all(
      layers
        .filter((l) => !l.startsWith('.'))
        .map((l) => readdir(join(root, 'layers', l, 'diff')).catch(() => [])),
    );
    // Some layer holds just app/package.json: the manifest COPY.
    const manifestLayer = [];
    for (const [i, l] of layers.filter((x) => !x.startsWith('.')).entries()) {
      if (dirs[i].length === 1 && dirs[i][0] === 'app') {
        const inner = await readdir(join(root, 'layers', l, 'diff', 'app'));
        if (inner.length === 1 && inner[0] === 'package.json') manifestLayer.push(l);
      }
    }
    expect(manifestLayer.length).toBeGreaterThanOrEqual(1);
    await mkdir(join(ctx, 'sub'), { recursive: true });
  });
});
