/**
 * What prune must keep: a live cache record's COPY file list (the next rebuild links
 * unchanged files from it) and the layer tar that list keeps, while what nothing reaches
 * goes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CacheRecord } from '../../core/cache/records.js';
import { keptTarOf } from '../../core/copy/layer-files.js';
import { prune } from '../../core/gc/prune.js';
import { Store } from '../../store/index.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { strataOk } from '../helpers/cli.js';
import { importArm64Busybox } from './helpers/foreign-busybox.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();

describe('prune', () => {
  it("keeps a live COPY's file list and kept tar, and removes unreachable blobs", async () => {
    requireRoot();
    const root = await tmp();
    const ctx = await tmp();
    for (let d = 0; d < 12; d++) {
      await mkdir(join(ctx, 'data', `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) await writeFile(join(ctx, 'data', `d${d}`, `f${f}`), `file ${d}/${f}\n`);
    }
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY data /data\n');
    await strataOk(['build', '--root', root, '-q', '-t', 'kept:1', ctx]);
    const store = await Store.open(root);
    const [rec] = (await store.listCacheRecords<CacheRecord>()).filter((r) => r.layerFiles);
    expect(rec?.layerFiles).toBeDefined();
    const tar = keptTarOf(await store.readBlob(rec.layerFiles as `sha256:${string}`));
    const orphan = (await store.putBlob('nothing refers to me')).digest;

    await prune(store, { all: false, cacheMountsOnly: false, graceMs: 0 });
    expect(await store.hasBlob(rec.layerFiles as `sha256:${string}`)).toBe(true);
    // 1,200 small files: the COPY keeps its layer tar for the next rebuild.
    expect(tar).toMatch(/^sha256:/);
    expect(await store.hasBlob(tar as `sha256:${string}`)).toBe(true);
    expect(await store.hasBlob(orphan)).toBe(false);
  });

  it('keeps every platform image of a multi-platform name, and fsck finds it healthy', async () => {
    const root = await tmp();
    await importBusybox(root);
    await importArm64Busybox(root);
    const store = await Store.open(root);
    const arm = (await store.getRef('docker.io/library/busybox:latest'))?.platforms?.['linux/arm64'];
    expect(arm).toBeDefined();
    const armLayers = (await store.readJsonBlob<{ rootfs: { diff_ids: string[] } }>(arm!)).rootfs.diff_ids;
    // Nothing but the name's arm64 entry reaches this image: no cache record, not `config`.
    await prune(store, { all: true, cacheMountsOnly: false, graceMs: 0 });
    expect(await store.hasBlob(arm!)).toBe(true);
    expect(await store.getLayer(armLayers[0] as `sha256:${string}`)).toBeDefined();
    const fsck = await strataOk(['fsck', '--root', root]);
    expect(fsck.stdout + fsck.stderr).toMatch(/no problems/);
  });
});
