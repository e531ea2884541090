/**
 * Build reports are kept to a limit (core/exec/report-retention.ts): the newest N, the last
 * build's, every tagged image's (each platform of a multi-platform tag), and any young enough
 * that the build writing it may not have pointed at it yet. The views still answer for what is
 * kept and say plainly when a report was pruned.
 */
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BuildReport, loadReport, saveReport } from '../../../core/exec/build-report.js';
import { pruneReports, reportPruneDue } from '../../../core/exec/report-retention.js';
import { readStoreConfig } from '../../../core/gc/gc-config.js';
import type { Digest } from '../../../core/oci/digest.js';
import { loadExplainView } from '../../../core/views/explain-view.js';
import type { Store } from '../../../store/store.js';
import { freshStore } from '../views/plan-fixture.js';

const HOUR = 3_600_000;

/** A report that differs from every other one (its file), so saveReport writes it. */
function report(buildId: string, imageId?: Digest): BuildReport {
  return {
    buildId,
    file: `Dockerfile.${buildId}`,
    startedAt: '2026-03-01T10:00:00Z',
    dryRun: false,
    imageId,
    tags: [],
    stages: [],
    steps: [],
  };
}

const reportFiles = async (store: Store) =>
  (await readdir(join(store.root, 'meta')))
    .filter((f) => /^build-.*\.json$/.test(f))
    .map((f) => f.slice(6, -5))
    .sort();

const setAge = (store: Store, name: string, ms: number) => {
  const t = new Date(Date.now() - ms);
  return utimes(join(store.root, 'meta', name), t, t);
};

/** Builds r0..r7, each making image i0..i7, r7 the last; r_k written (10 - k) hours ago. */
async function storeWithEightBuilds() {
  const store = await freshStore();
  const images: Digest[] = [];
  for (let k = 0; k < 8; k++) {
    const { digest } = await store.putBlob(JSON.stringify({ architecture: 'amd64', os: 'linux', n: k }));
    images.push(digest);
    expect(await saveReport(store, report(`r${k}`, digest))).toBe(k + 1);
    await setAge(store, `build-r${k}.json`, (10 - k) * HOUR);
  }
  await store.setRef('docker.io/library/app:old', { config: images[0] });
  await store.setRef('docker.io/library/app:multi', {
    config: images[1],
    platforms: { 'linux/amd64': images[1], 'linux/arm64': images[2] },
  });
  return { store, images };
}

describe('build report retention', () => {
  it('keeps the newest N, the last build and tagged images (every platform); removes the rest', async () => {
    const { store, images } = await storeWithEightBuilds();
    const r = await pruneReports(store, { maxEntries: 2, graceMs: 60_000 });
    expect(r.removed.map((x) => [x.buildId, x.why])).toEqual([
      ['r5', 'beyond'],
      ['r4', 'beyond'],
      ['r3', 'beyond'],
    ]);
    expect(r.kept).toEqual({ pinned: 4, newest: 1, young: 0 });
    expect(await reportFiles(store)).toEqual(['r0', 'r1', 'r2', 'r6', 'r7']);

    // The views answer for every kept one: the last build, tags, the newest untagged image.
    expect((await loadExplainView(store)).buildId).toBe('r7');
    expect((await loadExplainView(store, images[0])).buildId).toBe('r0');
    expect((await loadExplainView(store, images[2])).buildId).toBe('r2');
    expect((await loadReport(store, images[6]))?.buildId).toBe('r6');
    // A pruned one says so, naming the build, rather than "not built in this store".
    await expect(loadExplainView(store, images[4])).rejects.toThrow(
      `explain image: the build report of ${images[4]} (build r4) was pruned`,
    );

    // Pruning again changes nothing: it is a limit, not a rotation.
    expect((await pruneReports(store, { maxEntries: 2, graceMs: 60_000 })).removed).toEqual([]);
  });

  it("drops an image's pointer once the image is gone, keeps it while the image is there", async () => {
    const { store, images } = await storeWithEightBuilds();
    await pruneReports(store, { maxEntries: 2, graceMs: 60_000 });
    const pointer = (i: number) => `image-${images[i].slice(7)}.json`;
    await setAge(store, pointer(4), HOUR);
    await setAge(store, pointer(3), HOUR);
    await store.removeBlob(images[4]);
    const r = await pruneReports(store, { maxEntries: 2, graceMs: 60_000 });
    expect(r.pointers).toBe(1);
    const meta = await readdir(join(store.root, 'meta'));
    expect(meta).not.toContain(pointer(4));
    expect(meta).toContain(pointer(3));
    expect(meta).toContain(pointer(0));
  });

  it('until= removes old reports even among the newest; a dry run removes nothing', async () => {
    const { store } = await storeWithEightBuilds();
    const dry = await pruneReports(store, {
      maxEntries: 50,
      olderThanMs: 4.5 * HOUR,
      graceMs: 0,
      dryRun: true,
    });
    expect(dry.removed.map((x) => [x.buildId, x.why])).toEqual([
      ['r5', 'older'],
      ['r4', 'older'],
      ['r3', 'older'],
    ]);
    expect(await reportFiles(store)).toHaveLength(8);
    await pruneReports(store, { maxEntries: 50, olderThanMs: 4.5 * HOUR, graceMs: 0 });
    expect(await reportFiles(store)).toEqual(['r0', 'r1', 'r2', 'r6', 'r7']);
  });

  it('never removes a report a build is writing at the same time', async () => {
    const { store } = await storeWithEightBuilds();
    // Written a moment ago and not pointed at yet: the build is between its two writes.
    await store.writeMeta('build-inflight.json', JSON.stringify(report('inflight')));
    // Another build finishes while the prune runs, after it listed the reports.
    const list = store.listMeta.bind(store);
    store.listMeta = async (prefix) => {
      const listed = await list(prefix);
      if (prefix === 'build-') await saveReport(store, report('racer'));
      return listed;
    };
    const r = await pruneReports(store, { maxEntries: 0, graceMs: 60_000 });
    expect(r.kept.young).toBe(1);
    const left = await reportFiles(store);
    expect(left).toContain('inflight');
    expect(left).toContain('racer');
    expect((await loadExplainView(store)).buildId).toBe('racer');
    // r7 was the last build when listed, but not any more: with maxEntries 0 it went.
    expect(left).toEqual(['inflight', 'r0', 'r1', 'r2', 'racer']);
  });

  it('a report identical to the last one is not written and does not count', async () => {
    const store = await freshStore();
    expect(await saveReport(store, report('a'))).toBe(1);
    expect(await saveReport(store, { ...report('a'), buildId: 'b', startedAt: '2026-03-02T00:00:00Z' })).toBe(
      undefined,
    );
    expect(await saveReport(store, report('c'))).toBe(2);
    expect(await reportFiles(store)).toEqual(['a', 'c']);
  });

  it('prunes every quarter of maxEntries writes, at most every 16', () => {
    const due = (max: number) =>
      [...Array(40).keys()].map((i) => i + 1).filter((n) => reportPruneDue(n, max));
    expect(due(50)).toEqual([13, 26, 39]);
    expect(due(200)).toEqual([16, 32]);
    expect(due(2)).toHaveLength(40);
    expect(due(0)).toHaveLength(40);
  });

  it('history.maxEntries comes from <root>/config.json, 50 by default; a bad one is a clear error', async () => {
    const store = await freshStore();
    expect(await readStoreConfig(store.root)).toEqual({ gc: undefined, maxReports: 50 });
    await writeFile(
      join(store.root, 'config.json'),
      '{"history": {"maxEntries": 3}, "gc": {"until": "24h"}}',
    );
    expect(await readStoreConfig(store.root)).toEqual({ gc: { untilMs: 24 * HOUR }, maxReports: 3 });
    await writeFile(join(store.root, 'config.json'), '{"history": {"maxEntries": "lots"}}');
    await expect(readStoreConfig(store.root)).rejects.toThrow(
      /config\.json: history\.maxEntries wants a whole number of build reports, like 50/,
    );
  });
});
