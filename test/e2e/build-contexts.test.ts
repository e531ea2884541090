/**
 * `--build-context`: an offline stand-in replaces a registry base (the seed's node:22-alpine
 * case), and a directory feeds COPY --from with its own content checksum. A base that is in
 * neither the store nor a reachable registry fails with advice, not a stack trace.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { stepOutcomes, strata, strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();

describe('--build-context', () => {
  let root: string;
  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    await importBusybox(root, 'strata-busybox:offline');
  });

  it('docker-image:// stands in for a base the registry cannot give, and says so', async () => {
    const ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), 'FROM node:22-alpine\nRUN echo from the stand-in > /who\n');
    const r = await strataOk([
      'build',
      '--root',
      root,
      '--progress',
      'plain',
      '--build-context',
      'node:22-alpine=docker-image://strata-busybox:offline',
      '-t',
      'stood:1',
      ctx,
    ]);
    expect(r.stderr).toContain('using strata-busybox:offline for node:22-alpine (--build-context)');
    const dir = join(await tmp(), 'fs');
    await strataOk([
      'build',
      '--root',
      root,
      '-q',
      '--build-context',
      'node:22-alpine=docker-image://strata-busybox:offline',
      '--output',
      `type=local,dest=${dir}`,
      ctx,
    ]);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(join(dir, 'who'), 'utf8')).toBe('from the stand-in\n');
  });

  it('a directory feeds COPY --from, keyed by its content', async () => {
    const ctx = await tmp();
    const extra = await tmp();
    await mkdir(join(extra, 'conf'), { recursive: true });
    await writeFile(join(extra, 'conf', 'app.conf'), 'a=1\n');
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM strata-busybox:offline\nCOPY --from=configs conf /etc/app\n',
    );
    const args = [
      'build',
      '--root',
      root,
      '--progress',
      'plain',
      '--build-context',
      `configs=${extra}`,
      '-t',
      'cfg:1',
      ctx,
    ];
    await strataOk(args);
    expect(stepOutcomes((await strataOk(args)).stderr).every((s) => s.cached)).toBe(true);
    await writeFile(join(extra, 'conf', 'app.conf'), 'a=2\n');
    const again = stepOutcomes((await strataOk(args)).stderr);
    expect(again[0].cached).toBe(false);
    expect(again[0].reason).toContain('app.conf');
  });

  it('a base image that is nowhere fails with advice', async () => {
    const ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), 'FROM does-not-exist.invalid/nothing:1\nRUN true\n');
    const r = await strata(['build', '--root', root, ctx]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('resolve image does-not-exist.invalid/nothing:1');
    expect(r.stderr).toContain('--build-context');
    expect(r.stderr).not.toContain('internal error');
  });
});
