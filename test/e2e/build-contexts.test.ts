/**
 * `--build-context`: an offline stand-in replaces a registry base (the seed's node:22-alpine
 * case), an OCI layout directory (strata's or skopeo's) gives FROM and COPY --from images,
 * and a directory feeds COPY --from with its own content checksum. A base that is in
 * neither the store nor a reachable registry fails with advice, not a stack trace.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { buildToDir, stepOutcomes, strata, strataOk } from '../helpers/cli.js';
import { requireRoot, requireTool, useTempDirs } from './helpers/index.js';

const run = promisify(execFile);

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
    await buildToDir(root, ctx, dir, [
      '-q',
      '--build-context',
      'node:22-alpine=docker-image://strata-busybox:offline',
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

  it('oci-layout:// takes a FROM and a COPY --from image out of an OCI layout dir, by tag or digest', async () => {
    // The layout: a small image exported by strata into a directory, tagged v2.
    const baseCtx = await tmp();
    await writeFile(
      join(baseCtx, 'Dockerfile'),
      'FROM strata-busybox:offline\nRUN echo from the layout > /origin\n',
    );
    const layout = join(await tmp(), 'layout');
    await strataOk([
      'build',
      '--root',
      root,
      '-q',
      '-t',
      'laid:v2',
      '--output',
      `type=oci-dir,dest=${layout}`,
      baseCtx,
    ]);
    const { readFile } = await import('node:fs/promises');
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    const manifestDigest: string = index.manifests[0].digest;

    // A fresh store that has never seen the image: everything comes from the layout.
    const other = await tmp();
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM base\nCOPY --from=files /origin /copied\nRUN cat /origin /copied > /both\n',
    );
    const out = join(await tmp(), 'fs');
    const r = await buildToDir(other, ctx, out, [
      '--progress',
      'plain',
      '--build-context',
      `base=oci-layout://${layout}:v2`,
      '--build-context',
      `files=oci-layout://${layout}@${manifestDigest}`,
    ]);
    expect(r.stderr).toContain(`using oci-layout://${layout}:v2 (sha256:`);
    expect(await readFile(join(out, 'both'), 'utf8')).toBe('from the layout\nfrom the layout\n');

    // A tag the layout lacks: the error names the tags it has.
    const bad = await strata([
      'build',
      '--root',
      other,
      '--build-context',
      `base=oci-layout://${layout}:v9`,
      ctx,
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('no image tagged v9 (tags: v2)');
    const none = await strata(['build', '--root', other, '--build-context', `base=oci-layout://${ctx}`, ctx]);
    expect(none.stderr).toContain(`read OCI layout ${ctx}: no index.json there`);
  });

  it("oci-layout:// reads a layout another tool wrote (skopeo's)", async () => {
    const skopeo = requireTool('skopeo');
    const archive = join(await tmp(), 'busybox.tar');
    await strataOk(['save', '--root', root, 'strata-busybox:offline', '-o', archive]);
    const layout = join(await tmp(), 'sk');
    await run(skopeo, ['copy', '-q', `docker-archive:${archive}`, `oci:${layout}:edge`]);
    const ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), 'FROM base\nRUN busybox echo skopeo base > /who\n');
    const out = join(await tmp(), 'fs');
    await buildToDir(await tmp(), ctx, out, ['-q', '--build-context', `base=oci-layout://${layout}:edge`]);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(join(out, 'who'), 'utf8')).toBe('skopeo base\n');
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
