/**
 * A cache shared across machines: a build on store A exports its cache (`--cache-to`), a
 * fresh store B imports it (`--cache-from`) and gets CACHED steps; with `mounts=true` B's
 * cache-mount RUN finds A's downloads. Through a local directory and a real registry.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { stepOutcomes, strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';
import { type RunningRegistry, startRegistry } from './helpers/registry.js';

const tmp = useTempDirs();

const DOCKERFILE = `FROM busybox
COPY deps.txt /deps.txt
RUN --mount=type=cache,target=/var/cache/pkgs sh -c 'for p in $(cat /deps.txt); do if [ -f /var/cache/pkgs/$p ]; then echo "reused $p"; else echo "downloaded $p"; echo $p > /var/cache/pkgs/$p; fi; done' > /report.txt
COPY app.txt /app.txt
`;

describe('--cache-to / --cache-from', () => {
  let ctx: string;
  let registry: RunningRegistry;
  beforeAll(async () => {
    requireRoot();
    ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), DOCKERFILE);
    await writeFile(join(ctx, 'deps.txt'), 'alpha\nbeta\n');
    await writeFile(join(ctx, 'app.txt'), 'v1\n');
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const freshStore = async () => {
    const root = await tmp();
    await importBusybox(root);
    return root;
  };

  for (const kind of ['local', 'registry'] as const) {
    it(`a fresh store gets CACHED steps and warm cache mounts (${kind})`, async () => {
      const where =
        kind === 'local'
          ? `type=local,dest=${join(await tmp(), 'cache')}`
          : `type=registry,ref=${registry.host}/cache/app:buildcache`;
      const from = where.replace('dest=', 'src=');
      const a = await freshStore();
      await writeFile(join(ctx, 'deps.txt'), 'alpha\nbeta\n');
      await strataOk([
        'build',
        '--root',
        a,
        '--progress',
        'plain',
        '--cache-to',
        `${where},mounts=true`,
        ctx,
      ]);

      const b = await freshStore();
      const hit = await strataOk(['build', '--root', b, '--progress', 'plain', '--cache-from', from, ctx]);
      expect(hit.stderr).toMatch(/imported cache from .*: \d+ records/);
      expect(stepOutcomes(hit.stderr).every((s) => s.cached)).toBe(true);

      // A dependency is added: the RUN misses, but on a fresh store C it finds A's downloads.
      await writeFile(join(ctx, 'deps.txt'), 'alpha\nbeta\ngamma\n');
      const c = await freshStore();
      const out = join(await tmp(), 'fs');
      await strataOk([
        'build',
        '--root',
        c,
        '-q',
        '--cache-from',
        `${from},mounts=true`,
        '--output',
        `type=local,dest=${out}`,
        ctx,
      ]);
      expect(await readFile(join(out, 'report.txt'), 'utf8')).toBe(
        'reused alpha\nreused beta\ndownloaded gamma\n',
      );
    });
  }
});
