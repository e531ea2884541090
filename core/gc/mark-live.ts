/**
 * The mark half of garbage collection: what tags and a set of cache records still reach
 * (layers and every layer below them, configs, manifests, compressed blobs, COPY file lists
 * and the layer tars they keep). prune() sweeps the rest; planGc() asks it what a plan would
 * leave, so the figures it prints are the sweep's own.
 */
import type { Store } from '../../store/store.js';
import type { CacheRecord } from '../cache/records.js';
import { keptTarOf } from '../copy/layer-files.js';
import type { Digest } from '../oci/digest.js';
import { chainIds } from '../oci/digest.js';
import type { ImageConfig, Manifest } from '../oci/types.js';

export interface LiveSet {
  layers: Set<Digest>;
  blobs: Set<Digest>;
  /** Layers (chainIDs, with every layer below) that tagged images use. */
  tagged: Set<Digest>;
}

/** What the store's tags and `records` reach. Records whose layer is gone reach nothing. */
export async function markLive(store: Store, records: readonly CacheRecord[]): Promise<LiveSet> {
  const layers = new Set<Digest>();
  const blobs = new Set<Digest>();
  const tagged = new Set<Digest>();
  for (const { target } of await store.listRefs()) {
    blobs.add(target.config);
    if (target.manifest) {
      blobs.add(target.manifest.digest);
      const m = await store.readJsonBlob<Manifest>(target.manifest.digest).catch(() => undefined);
      for (const l of m?.layers ?? []) blobs.add(l.digest);
    }
    // A multi-platform name holds one image per platform: every one of them is tagged.
    for (const id of new Set([target.config, ...Object.values(target.platforms ?? {})])) {
      blobs.add(id);
      const config = await store.readJsonBlob<ImageConfig>(id).catch(() => undefined);
      for (const c of chainIds(config?.rootfs.diff_ids ?? [])) {
        layers.add(c);
        tagged.add(c);
      }
    }
  }
  for (const rec of records) {
    if (rec.filesBlob) blobs.add(rec.filesBlob);
    if (rec.layerFiles) {
      // A COPY's file list (what the next rebuild links from) and the layer tar it keeps.
      blobs.add(rec.layerFiles);
      const tar = keptTarOf(await store.readBlob(rec.layerFiles).catch(() => undefined));
      if (tar) blobs.add(tar);
    }
    if (rec.result.chainId) {
      layers.add(rec.result.chainId);
      for (const c of await store.lowerChain(rec.result.chainId)) layers.add(c);
    }
  }
  for (const l of await store.listLayers()) {
    if (layers.has(l.chainId)) for (const c of l.compressed) blobs.add(c.digest);
  }
  return { layers, blobs, tagged };
}

/** Whether a record's layer (when it made one) is still in the store: else it can never hit. */
export async function recordUsable(store: Store, rec: CacheRecord): Promise<boolean> {
  return rec.result.chainId === undefined || (await store.getLayer(rec.result.chainId)) !== undefined;
}
