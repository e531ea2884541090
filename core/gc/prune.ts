/**
 * Garbage collection: marks what tags and cache records still reach (mark-live.ts) and
 * sweeps the rest; with a policy (a size cap, an age), first removes the cache records and
 * cache mounts planGc chooses, least recently used first. Runs under the store's `gc` lock so
 * two prunes never interleave; builds commit a layer before its cache record, so a layer a
 * build is about to use is reachable from a record or is younger than the grace period, and
 * is kept (unless the plan freed it: then it belonged to a record the plan removed). Last,
 * build reports beyond the retention limit go (core/exec/report-retention.ts), and the meta
 * caches (stat caches, ADD <url> validators, timestamp memos) unused for a week or `until=`
 * (core/gc/meta-caches.ts).
 */
import { stat } from 'node:fs/promises';
import type { Store } from '../../store/store.js';
import type { CacheRecord } from '../cache/records.js';
import { pruneReports, type RemovedReport, type ReportRetention } from '../exec/report-retention.js';
import type { Digest } from '../oci/digest.js';
import { ago, type GcItem, type GcPlan, type GcPolicy, planGc } from './gc-plan.js';
import { markLive, recordUsable } from './mark-live.js';
import { metaCacheAge, removeMetaCaches, type StaleMetaCache, staleMetaCaches } from './meta-caches.js';

export interface PruneOptions {
  /** Remove every cache record too (then whatever only they kept). */
  all: boolean;
  /** Only cache-mount directories (`--filter type=exec.cachemount`). */
  cacheMountsOnly: boolean;
  /** Layers and blobs younger than this are kept even when unreachable (a build may be writing them). */
  graceMs: number;
  /** A size cap and/or an age: what planGc removes before the sweep. */
  policy?: GcPolicy;
  /** Plan only: return what would go (report.plan), change nothing. */
  dryRun?: boolean;
  /**
   * Build reports: the newest `maxEntries` are kept (with `all`, none but the pinned ones; with
   * `policy.untilMs`, none older than that). Unset: reports are left alone.
   */
  reports?: { maxEntries: number };
  /**
   * Also remove the meta caches not used within `policy.untilMs` (else a week; never under a
   * day: metaCacheAge), every one with `all`. Unset: they are left alone.
   */
  metaCaches?: boolean;
}

export interface PruneReport {
  cacheRecords: number;
  layers: number;
  blobs: number;
  cacheMounts: number;
  /** Cache mounts kept because a running build uses them. */
  cacheMountsInUse: number;
  /** Build reports removed (meta/build-<id>.json). */
  buildReports: number;
  /** Meta caches removed (meta/statcache-*, http-*, rewrite-timestamp-*: core/gc/meta-caches.ts). */
  metaCaches: number;
  bytes: number;
  /** The plan, when a policy or a dry run asked for one. */
  plan?: GcPlan;
}

/** A prune that removed nothing. */
export function nothingPruned(): PruneReport {
  return {
    cacheRecords: 0,
    layers: 0,
    blobs: 0,
    cacheMounts: 0,
    cacheMountsInUse: 0,
    buildReports: 0,
    metaCaches: 0,
    bytes: 0,
  };
}

export async function prune(store: Store, o: PruneOptions): Promise<PruneReport> {
  const report = nothingPruned();
  const retention = (dryRun: boolean): ReportRetention | undefined =>
    o.reports && {
      maxEntries: o.all ? 0 : o.reports.maxEntries,
      olderThanMs: o.policy?.untilMs,
      graceMs: o.graceMs,
      dryRun,
    };
  const metaAge = metaCacheAge(o.policy?.untilMs);
  const lock = await store.lock('gc');
  try {
    if (o.policy !== undefined || o.dryRun) {
      report.plan = await planGc(store, o.policy ?? {}, { graceMs: o.graceMs });
      const r = retention(true);
      if (o.dryRun) {
        if (r) report.plan.remove.push(...reportItems((await pruneReports(store, r)).removed, r));
        if (o.metaCaches) {
          const planned = new Set(report.plan.metaCaches.map((c) => c.name));
          const stale = await staleMetaCaches(store, { olderThanMs: metaAge });
          report.plan.remove.push(
            ...metaItems(
              stale.filter((c) => !planned.has(c.name)),
              metaAge,
            ),
          );
        }
        return report;
      }
    }
    const plan = report.plan;
    const planned = new Set(plan?.mounts ?? []);
    const mounts =
      o.cacheMountsOnly || o.all || planned.size > 0
        ? (await store.listCacheMounts()).filter((m) => o.cacheMountsOnly || o.all || planned.has(m.path))
        : [];
    for (const m of mounts) {
      if (!(await store.removeCacheMount(m.path))) {
        report.cacheMountsInUse++;
        continue;
      }
      report.cacheMounts++;
      report.bytes += m.size;
    }
    if (o.cacheMountsOnly) return report;
    const drop = new Set(plan?.records ?? []);
    const kept: CacheRecord[] = [];
    for (const rec of await store.listCacheRecords<CacheRecord>()) {
      // --all, chosen by the plan, or its layer is gone (it can never hit again).
      if (o.all || drop.has(rec.key) || !(await recordUsable(store, rec))) {
        await store.removeCacheRecord(rec.key);
        report.cacheRecords++;
      } else kept.push(rec);
    }
    const live = await markLive(store, kept);
    const freedLayers = plan?.freedLayers ?? new Set<Digest>();
    const freedBlobs = plan?.freedBlobs ?? new Set<Digest>();
    const now = Date.now();
    for (const l of await store.listLayers()) {
      const young = now - Date.parse(l.createdAt) < o.graceMs && !freedLayers.has(l.chainId);
      if (live.layers.has(l.chainId) || young) {
        for (const c of l.compressed) live.blobs.add(c.digest);
        continue;
      }
      await store.removeLayer(l.chainId);
      report.layers++;
      report.bytes += l.size;
    }
    for (const b of await store.listBlobs()) {
      if (live.blobs.has(b.digest)) continue;
      if (o.graceMs > 0 && !freedBlobs.has(b.digest)) {
        const st = await stat(store.blobPath(b.digest)).catch(() => undefined);
        if (st && now - st.mtimeMs < o.graceMs) continue;
      }
      if (await store.removeBlob(b.digest)) {
        report.blobs++;
        report.bytes += b.size;
      }
    }
    // After the sweep: the pointers of images it removed go with their reports.
    const r = retention(false);
    if (r) {
      const removed = (await pruneReports(store, r)).removed;
      report.buildReports = removed.length;
      report.bytes += removed.reduce((t, x) => t + x.bytes, 0);
    }
    // The meta caches the plan chose (a size cap), then those past their age.
    for (const c of plan?.metaCaches ?? []) {
      if (await store.removeMeta(c.name)) {
        report.metaCaches++;
        report.bytes += c.bytes;
      }
    }
    if (o.metaCaches) {
      const stale = await staleMetaCaches(store, { olderThanMs: metaAge, all: o.all });
      const removed = await removeMetaCaches(store, stale);
      report.metaCaches += removed.length;
      report.bytes += removed.reduce((t, x) => t + x.bytes, 0);
    }
    return report;
  } finally {
    await lock.release();
  }
}

function reportItems(removed: RemovedReport[], r: ReportRetention): GcItem[] {
  const now = Date.now();
  return removed.map((x) => ({
    kind: 'build report',
    id: x.buildId,
    lastUsed: x.mtimeMs,
    bytes: x.bytes,
    reason:
      `written ${ago(now - x.mtimeMs)} ago: ` +
      (x.why === 'older'
        ? `older than until=${ago(r.olderThanMs ?? 0)}`
        : `not among the newest ${r.maxEntries}, and not the last build's or a tagged image's`),
  }));
}

function metaItems(stale: StaleMetaCache[], ageMs: number): GcItem[] {
  const now = Date.now();
  return stale.map((c) => ({
    kind: 'meta cache',
    id: c.name,
    what: c.kind.what,
    lastUsed: c.lastUsedMs,
    bytes: c.bytes,
    reason: `last read or written ${ago(now - c.lastUsedMs)} ago, longer than ${ago(ageMs)}: ${c.kind.costs}`,
  }));
}
