/**
 * Shared cache through Debian's docker-registry (`type=registry`): a build's cache exported
 * to a tag, imported into a fresh store whose plan then hits every step.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { build } from '../../core/exec/build.js';
import { exportCache } from '../../core/registry/cache-export.js';
import { importCache } from '../../core/registry/cache-import.js';
import { Store } from '../../store/index.js';
import { type RunningRegistry, startRegistry } from './helpers/registry.js';
import { useTempDirs } from './helpers/temp-dirs.js';

const tempDir = useTempDirs();
let registry: RunningRegistry;
const anon = { credentials: null } as const;

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => registry?.stop());

it('exports a build cache to a registry tag and a fresh store plans only hits after importing it', async () => {
  const ctx = await tempDir();
  await mkdir(join(ctx, 'src'));
  await writeFile(join(ctx, 'src/main.txt'), 'main\n');
  await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY src/ /app/\nLABEL x=y\n');
  const run = (store: Store, dryRun: boolean) =>
    build(store, {
      contextDir: ctx,
      tags: ['cache/e2e:1'],
      buildArgs: {},
      noCache: false,
      dryRun,
      secrets: [],
      platform: 'linux/amd64',
      env: {},
      progress: () => {},
    });
  const a = await Store.open(await tempDir());
  const built = await run(a, false);
  await writeFile(join(await a.ensureCacheMount('apt'), 'pkg.deb'), 'deb bytes');
  const location = { type: 'registry', ref: `${registry.host}/cache/app:buildcache` } as const;
  const out = await exportCache(a, location, { ...anon, mounts: true });
  expect(out).toMatchObject({ layers: 1, mounts: 1 });

  const b = await Store.open(await tempDir());
  const got = await importCache(b, location, { ...anon, mounts: true });
  expect(got.manifest.digest).toBe(out.manifest.digest);
  expect(got).toMatchObject({ records: out.records, layers: 1, mounts: 1 });
  expect(await readFile(join(b.cacheMountPath('apt'), 'pkg.deb'), 'utf8')).toBe('deb bytes');
  const plan = (await run(b, true)).plan;
  expect(plan.stages[0].steps.every((s) => s.decision.hit)).toBe(true);
  expect((await run(b, false)).imageId).toBe(built.imageId);
});

it('keeps every job its entries when several export to one ref at once', async () => {
  // Four CI jobs, each with a cache of its own (FROM scratch + COPY: no runc needed).
  const jobs = 4;
  const stores: Store[] = [];
  const ctxs: string[] = [];
  for (let i = 0; i < jobs; i++) {
    const ctx = await tempDir();
    await writeFile(join(ctx, 'job.txt'), `job ${i}\n`);
    await writeFile(join(ctx, 'Dockerfile'), `FROM scratch\nCOPY job.txt /job-${i}.txt\n`);
    const store = await Store.open(await tempDir());
    await build(store, {
      contextDir: ctx,
      tags: [],
      buildArgs: {},
      noCache: false,
      dryRun: false,
      secrets: [],
      platform: 'linux/amd64',
      env: {},
      progress: () => {},
    });
    stores.push(store);
    ctxs.push(ctx);
  }
  const location = { type: 'registry', ref: `${registry.host}/cache/shared:ci` } as const;
  // Two rounds at once: the main tag is written by everyone at nearly the same moment.
  for (let round = 0; round < 2; round++) {
    await Promise.all(stores.map((s) => exportCache(s, location, anon)));
  }
  const fresh = await Store.open(await tempDir());
  await importCache(fresh, location, anon);
  const have = new Set((await fresh.listCacheRecords<{ key: `sha256:${string}` }>()).map((r) => r.key));
  for (const s of stores) {
    for (const r of await s.listCacheRecords<{ key: `sha256:${string}` }>())
      expect(have.has(r.key)).toBe(true);
  }
  // And each job's build plans only hits in the fresh store.
  for (const ctx of ctxs) {
    const { plan } = await build(fresh, {
      contextDir: ctx,
      tags: [],
      buildArgs: {},
      noCache: false,
      dryRun: true,
      secrets: [],
      platform: 'linux/amd64',
      env: {},
      progress: () => {},
    });
    expect(plan.stages[0].steps.every((s) => s.decision.hit)).toBe(true);
  }
});
