/**
 * Garbage collection: marks what tags and cache records still reach (layers and every
 * layer below them, configs, manifests, compressed blobs, COPY file lists and the layer
 * tars they keep) and sweeps the
 * rest. Runs under the store's `gc` lock so two prunes never interleave; builds commit a
 * layer before its cache record, so a layer a build is about to use is reachable from a
 * record or is younger than the grace period, and is kept.
 */

import type { Store } from '../../store/store.js';
import type { CacheRecord } from '../cache/records.js';
import { keptTarOf } from '../copy/layer-files.js';
import type { Digest } from '../oci/digest.js';
import { chainIds } from '../oci/digest.js';
import type { ImageConfig, Manifest } from '../oci/types.js';

export interface PruneOptions {
  /** Remove every cache record too (then whatever only they kept). */
  all: boolean;
  /** Only cache-mount directories (`--filter type=exec.cachemount`). */
  cacheMountsOnly: boolean;
  /** Layers and blobs younger than this are kept even when unreachable (a build may be writing them). */
  graceMs: number;
}

export interface PruneReport {
  cacheRecords: number;
  layers: number;
  blobs: number;
  cacheMounts: number;
  /** Cache mounts kept because a running build uses them. */
  cacheMountsInUse: number;
  bytes: number;
}

export async function prune(store: Store, o: PruneOptions): Promise<PruneReport> {
  const report: PruneReport = {
    cacheRecords: 0,
    layers: 0,
    blobs: 0,
    cacheMounts: 0,
    cacheMountsInUse: 0,
    bytes: 0,
  };
  const lock = await store.lock('gc');
  try {
    if (o.cacheMountsOnly || o.all) {
      for (const m of await store.listCacheMounts()) {
        if (!(await store.removeCacheMount(m.path))) {
          report.cacheMountsInUse++;
          continue;
        }
        report.cacheMounts++;
        report.bytes += m.size;
      }
      if (o.cacheMountsOnly) return report;
    }
    const liveLayers = new Set<Digest>();
    const liveBlobs = new Set<Digest>();
    for (const { target } of await store.listRefs()) {
      liveBlobs.add(target.config);
      if (target.manifest) {
        liveBlobs.add(target.manifest.digest);
        const m = await store.readJsonBlob<Manifest>(target.manifest.digest).catch(() => undefined);
        for (const l of m?.layers ?? []) liveBlobs.add(l.digest);
      }
      for (const id of new Set([target.config, ...Object.values(target.platforms ?? {})])) {
        liveBlobs.add(id);
        const config = await store.readJsonBlob<ImageConfig>(id).catch(() => undefined);
        for (const c of chainIds(config?.rootfs.diff_ids ?? [])) liveLayers.add(c);
      }
    }
    for (const rec of await store.listCacheRecords<CacheRecord>()) {
      if (o.all) {
        await store.removeCacheRecord(rec.key);
        report.cacheRecords++;
        continue;
      }
      const chainOk =
        rec.result.chainId === undefined || (await store.getLayer(rec.result.chainId)) !== undefined;
      if (!chainOk) {
        // Its layer is gone: the record can never hit again.
        await store.removeCacheRecord(rec.key);
        report.cacheRecords++;
        continue;
      }
      if (rec.filesBlob) liveBlobs.add(rec.filesBlob);
      if (rec.layerFiles) {
        // A COPY's file list (what the next rebuild links from) and the layer tar it keeps.
        liveBlobs.add(rec.layerFiles);
        const tar = keptTarOf(await store.readJsonBlob<unknown>(rec.layerFiles).catch(() => undefined));
        if (tar) liveBlobs.add(tar);
      }
      if (rec.result.chainId) {
        liveLayers.add(rec.result.chainId);
        for (const c of await store.lowerChain(rec.result.chainId)) liveLayers.add(c);
      }
    }
    const now = Date.now();
    for (const l of await store.listLayers()) {
      const young = now - Date.parse(l.createdAt) < o.graceMs;
      if (liveLayers.has(l.chainId) || young) {
        for (const c of l.compressed) liveBlobs.add(c.digest);
        continue;
      }
      await store.removeLayer(l.chainId);
      report.layers++;
      report.bytes += l.size;
    }
    for (const b of await store.listBlobs()) {
      if (liveBlobs.has(b.digest)) continue;
      if (o.graceMs > 0) {
        const { stat } = await import('node:fs/promises');
        const st = await stat(store.blobPath(b.digest)).catch(() => undefined);
        if (st && now - st.mtimeMs < o.graceMs) continue;
      }
      if (await store.removeBlob(b.digest)) {
        report.blobs++;
        report.bytes += b.size;
      }
    }
    return report;
  } finally {
    await lock.release();
  }
}
