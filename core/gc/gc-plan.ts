/**
 * planGc: which cache records and cache mounts a size cap or an age policy removes, as
 * BuildKit's GC decides (its cache manager's prune with KeepBytes / KeepDuration):
 *
 * - Only what is not in use is a candidate: never a layer a tagged image uses, nor a record
 *   the last build used or made (the next build of it stays fully CACHED), nor one used since
 *   the oldest running build started (a running build touches what it reuses, build.ts).
 * - `untilMs` (`--filter until=24h`): only what was last used longer ago than that.
 * - `keepStorage` (`--keep-storage 10GB`): least recently used first, until the store is at or
 *   under the cap; without it, every candidate goes. Meta caches (stat caches and the like,
 *   meta-caches.ts) count toward the cap and are candidates too, unless used within a day.
 * - Removing a record frees the layers no tag and no other record reaches any more (children
 *   before parents, since a hit on a step is a hit on every step above it). A record that
 *   frees nothing (its layers are a tag's or a kept record's) is kept: dropping it would
 *   only make a build miss.
 *
 * What is garbage anyway (layers and blobs nothing reaches, records whose layer is gone) is
 * listed too: prune's sweep removes it with or without a policy. The plan is data (`strata
 * prune --dry-run` prints it); prune() applies it.
 */
import { stat } from 'node:fs/promises';
import type { DiskUsage, Store } from '../../store/store.js';
import type { CacheRecord } from '../cache/records.js';
import { oldestLiveBuild } from '../exec/build-dirs.js';
import { loadReport } from '../exec/build-report.js';
import type { Digest } from '../oci/digest.js';
import { markLive, recordUsable } from './mark-live.js';
import {
  META_CACHE_FLOOR_MS,
  metaCacheFiles,
  metaCacheKind,
  lastUsed as metaLastUsed,
} from './meta-caches.js';

export interface GcPolicy {
  /** Bytes the store may hold (layers, blobs, cache mounts and meta caches, as `strata du` counts them). */
  keepStorage?: number;
  /** Only what was last used longer ago than this many ms is removed. */
  untilMs?: number;
}

export interface GcItem {
  kind: 'cache record' | 'cache mount' | 'layer' | 'blob' | 'build report' | 'meta cache';
  /** A key, chainID, digest, cache-mount id, build id or meta file name. */
  id: string;
  /** More records of the same result (under its content key, for early cutoff) that go with it. */
  also?: number;
  /** What made it: the record's instruction, the mount's id. */
  what?: string;
  /** Last use (ms since the epoch), for records, mounts and meta caches. */
  lastUsed?: number;
  /** Bytes its removal frees (layers and blobs only it kept). */
  bytes: number;
  reason: string;
}

export interface GcPlan {
  policy: GcPolicy;
  /** What the store holds now, and would after the plan, in bytes. */
  before: number;
  after: number;
  remove: GcItem[];
  /** What was kept, and why. */
  kept: { tagged: number; lastBuild: number; running: number; shared: number; recent: number };
  /** Records the plan removes (their layers go in the sweep, however young). */
  records: Digest[];
  /** Cache mounts the plan removes, by path. */
  mounts: string[];
  /** Meta caches the plan removes (under a size cap). */
  metaCaches: { name: string; bytes: number }[];
  /** Layers and blobs the plan frees: the sweep removes them though they are young. */
  freedLayers: Set<Digest>;
  freedBlobs: Set<Digest>;
}

export async function planGc(
  store: Store,
  policy: GcPolicy,
  opts: { now?: number; graceMs: number },
): Promise<GcPlan> {
  const now = opts.now ?? Date.now();
  const du = await store.du();
  const layerSize = new Map(du.layers.map((l) => [l.chainId, l.size]));
  const blobSize = new Map(du.blobs.map((b) => [b.digest, b.size]));
  const metaCaches = metaCacheFiles(du.meta);
  const before = heldBytes(du);
  const plan: GcPlan = {
    policy,
    before,
    after: before,
    remove: [],
    kept: { tagged: 0, lastBuild: 0, running: 0, shared: 0, recent: 0 },
    records: [],
    mounts: [],
    metaCaches: [],
    freedLayers: new Set(),
    freedBlobs: new Set(),
  };

  const all = await store.listCacheRecords<CacheRecord>();
  const records: CacheRecord[] = [];
  for (const rec of all) {
    if (await recordUsable(store, rec)) records.push(rec);
    else
      plan.remove.push({
        kind: 'cache record',
        id: rec.key,
        what: rec.options.instruction,
        bytes: 0,
        reason: 'its layer is gone, so it can never hit',
      });
  }
  const live = await markLive(store, records);
  const layers = new Map((await store.listLayers()).map((l) => [l.chainId, l]));

  if (policy.keepStorage !== undefined || policy.untilMs !== undefined) {
    // How many kept records reach each layer; tagged layers are never freed.
    const chains = new Map<Digest, Digest[]>();
    const refs = new Map<Digest, number>();
    for (const rec of records) {
      if (!rec.result.chainId) continue;
      const chain = [rec.result.chainId, ...(await store.lowerChain(rec.result.chainId))];
      chains.set(rec.key, chain);
      for (const c of chain) refs.set(c, (refs.get(c) ?? 0) + 1);
    }
    const protectedKeys = new Set<Digest>();
    const last = await loadReport(store).catch(() => undefined);
    for (const s of last?.steps ?? []) if (s.key !== 'pending') protectedKeys.add(s.key);
    const liveSince = await oldestLiveBuild(store);
    const lastUsed = await store.cacheRecordsLastUsed();
    const cutoff = policy.untilMs === undefined ? Number.POSITIVE_INFINITY : now - policy.untilMs;

    // take() removes a candidate, or says it frees nothing yet: a parent record whose layer a
    // younger child record still reaches (the child touched it when it was made, or later).
    type Candidate = { lastUsed: number; shared: number; take: () => boolean };
    const candidates: Candidate[] = [];
    let current = before;
    // A layer's records go together: a run is recorded under its key and its content key
    // (early cutoff), and removing one of them frees nothing while the other stays.
    const groups = new Map<Digest, CacheRecord[]>();
    for (const rec of records) {
      if (!rec.result.chainId) continue; // a metadata step's record: a few hundred bytes, kept
      const g = groups.get(rec.result.chainId) ?? [];
      g.push(rec);
      groups.set(rec.result.chainId, g);
    }
    for (const [top, group] of groups) {
      const used = Math.max(...group.map((r) => lastUsed.get(r.key) ?? 0));
      const chain = chains.get(group[0].key) ?? [];
      if (group.some((r) => protectedKeys.has(r.key))) plan.kept.lastBuild += group.length;
      else if (liveSince !== undefined && used >= liveSince) plan.kept.running += group.length;
      else if (used >= cutoff) plan.kept.recent += group.length;
      else if (live.tagged.has(top)) plan.kept.tagged += group.length;
      else
        candidates.push({
          lastUsed: used,
          shared: group.length,
          take: () => {
            // The layers only these records still reach, and the blobs that go with them.
            const n = group.length;
            const freed = chain.filter((c) => refs.get(c) === n && !live.tagged.has(c));
            if (freed.length === 0) return false;
            const blobs = group
              .flatMap((r) => [r.filesBlob, r.layerFiles])
              .filter((b): b is Digest => b !== undefined);
            for (const c of freed) for (const b of layers.get(c)?.compressed ?? []) blobs.push(b.digest);
            const bytes =
              sum(freed.map((c) => layerSize.get(c) ?? 0)) +
              sum(
                [...new Set(blobs)].filter((b) => !plan.freedBlobs.has(b)).map((b) => blobSize.get(b) ?? 0),
              );
            for (const c of chain) refs.set(c, (refs.get(c) ?? n) - n);
            for (const c of freed) plan.freedLayers.add(c);
            for (const b of blobs) plan.freedBlobs.add(b);
            for (const rec of group) plan.records.push(rec.key);
            plan.remove.push({
              kind: 'cache record',
              id: group[0].key,
              ...(n > 1 ? { also: n - 1 } : {}),
              what: group[0].options.instruction,
              lastUsed: used,
              bytes,
              reason: reasonFor(policy, used, now),
            });
            current -= bytes;
            return true;
          },
        });
    }
    for (const m of du.cacheMounts) {
      if (m.lastUsedMs >= cutoff) {
        plan.kept.recent++;
        continue;
      }
      candidates.push({
        lastUsed: m.lastUsedMs,
        shared: 0,
        take: () => {
          plan.mounts.push(m.path);
          plan.remove.push({
            kind: 'cache mount',
            id: m.id ?? m.path,
            lastUsed: m.lastUsedMs,
            bytes: m.size,
            reason: reasonFor(policy, m.lastUsedMs, now),
          });
          current -= m.size;
          return true;
        },
      });
    }
    // Meta caches count toward the cap, so they may go under it, least recently used first
    // with the rest; never one used within a day (META_CACHE_FLOOR_MS). Under `until=` alone
    // their own age rule applies instead (prune.ts), not this one.
    if (policy.keepStorage !== undefined) {
      for (const f of metaCaches) {
        const used = metaLastUsed(f);
        if (now - used < META_CACHE_FLOOR_MS || used >= cutoff) continue;
        const kind = metaCacheKind(f.name);
        candidates.push({
          lastUsed: used,
          shared: 0,
          take: () => {
            plan.metaCaches.push({ name: f.name, bytes: f.size });
            plan.remove.push({
              kind: 'meta cache',
              id: f.name,
              what: kind?.what,
              lastUsed: used,
              bytes: f.size,
              reason: `${reasonFor(policy, used, now)}: ${kind?.costs}`,
            });
            current -= f.size;
            return true;
          },
        });
      }
    }
    candidates.sort((a, b) => a.lastUsed - b.lastUsed);
    // Least recently used first. A record that frees nothing yet waits: once the child records
    // that share its layers go, it is tried again (children before parents, whatever order
    // their times put them in: a parent reused by the build that made the child can be the
    // older by a millisecond).
    const waiting: Candidate[] = [];
    const overCap = () => policy.keepStorage === undefined || current > policy.keepStorage;
    for (const c of candidates) {
      if (!overCap()) break;
      if (!c.take()) {
        waiting.push(c);
        continue;
      }
      for (let retried = true; retried && overCap(); ) {
        retried = false;
        for (let i = 0; i < waiting.length && overCap(); i++)
          if (waiting[i].take()) {
            waiting.splice(i, 1);
            retried = true;
            break;
          }
      }
    }
    for (const c of waiting) plan.kept.shared += c.shared;
  }

  // What the sweep removes after the plan: what nothing kept reaches, unless too young to
  // tell from a layer a build is writing (those the plan freed are not young in that sense).
  const dropped = new Set(plan.records);
  const keptRecords = records.filter((r) => !dropped.has(r.key));
  const after = plan.records.length > 0 ? await markLive(store, keptRecords) : live;
  let freed = sum(plan.remove.map((i) => i.bytes));
  for (const [chainId, l] of layers) {
    if (after.layers.has(chainId) || plan.freedLayers.has(chainId)) continue;
    if (now - Date.parse(l.createdAt) < opts.graceMs) continue;
    const bytes = layerSize.get(chainId) ?? 0;
    plan.freedLayers.add(chainId);
    plan.remove.push({ kind: 'layer', id: chainId, bytes, reason: 'no tag and no cache record reaches it' });
    freed += bytes;
  }
  for (const l of layers.values())
    if (!plan.freedLayers.has(l.chainId)) for (const c of l.compressed) after.blobs.add(c.digest);
  for (const [digest, size] of blobSize) {
    if (after.blobs.has(digest) || plan.freedBlobs.has(digest)) continue;
    const st = await stat(store.blobPath(digest)).catch(() => undefined);
    if (st && now - st.mtimeMs < opts.graceMs) continue;
    plan.remove.push({ kind: 'blob', id: digest, bytes: size, reason: 'nothing refers to it' });
    freed += size;
  }
  plan.after = Math.max(0, before - freed);
  return plan;
}

/** What the store holds, in bytes, as `strata du` counts it (layers, blobs, cache mounts, meta caches). */
export async function storeBytes(store: Store): Promise<number> {
  return heldBytes(await store.du());
}

function heldBytes(du: DiskUsage): number {
  return sum([...du.layers, ...du.blobs, ...du.cacheMounts, ...metaCacheFiles(du.meta)].map((x) => x.size));
}

function reasonFor(policy: GcPolicy, used: number, now: number): string {
  const age = `last used ${ago(now - used)} ago`;
  if (policy.keepStorage !== undefined)
    return `${age}: least recently used while the store is over its ${policy.keepStorage}-byte cap`;
  return `${age}, longer than until=${ago(policy.untilMs ?? 0)}`;
}

/** `3h`, `2d`, `45m`, `12s`. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
