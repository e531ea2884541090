/**
 * importCache: the inverse of exportCache (see cache-export.ts for the contract). Layers
 * are committed one by one, parents first, each only after its diffID checked out; records
 * are written last, and only those whose key hashes their inputs and whose layer is now
 * present. A record the store already has is kept as it is.
 */
import { readdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Store } from '../../store/index.js';
import { cacheKey } from '../cache/cache-key.js';
import { applyLayer } from '../diff/apply-layer.js';
import { chainId } from '../oci/digest.js';
import { DigestMismatchError } from '../oci/errors.js';
import { type CacheTransferResult, openCacheLocation } from './cache-export.js';
import { type CacheConfig, mergeCacheConfigs, readCacheConfig } from './cache-manifest.js';
import type { CacheLocation } from './cache-spec.js';
import type { RegistryClientOptions } from './registry-client.js';

export interface CacheImportOptions extends RegistryClientOptions {
  /** Also import cache-mount dirs (only into mounts the store does not have yet). */
  mounts?: boolean;
}

export async function importCache(
  store: Store,
  location: CacheLocation,
  opts: CacheImportOptions = {},
): Promise<CacheTransferResult> {
  const source = await openCacheLocation(location, opts);
  const what = location.type === 'local' ? location.dir : location.ref;
  const main = await readCacheConfig(source, what);
  const doc = main.doc;
  const bytes = doc.bytes;
  // What concurrent exporters wrote beside the main tag (each under its own part tag: see
  // exportCache): merged in, so no job's entries are lost to another job's overwrite.
  const parts: CacheConfig[] = [];
  for (const tag of await source.listParts()) {
    parts.push((await readCacheConfig(source, `${what} (${tag})`, tag)).config);
  }
  const config = parts.length === 0 ? main.config : mergeCacheConfigs([main.config, ...parts]);

  let layers = 0;
  for (const l of config.layers) {
    if (chainId(l.parent, l.diffId) !== l.chainId) {
      throw new DigestMismatchError(
        `import cache ${what}: layer ${l.chainId} does not follow from its parent and diffID`,
      );
    }
    if ((await store.getLayer(l.chainId)) !== undefined) continue;
    await source.toStore(store, l.blob);
    const dir = await store.makeStagingDir();
    try {
      const r = await applyLayer(dir, store.openBlob(l.blob.digest));
      if (r.diffId !== l.diffId) {
        throw new DigestMismatchError(
          `import cache ${what}: layer ${l.chainId} unpacks to ${r.diffId}, not ${l.diffId}`,
        );
      }
      await store.commitLayer(dir, {
        chainId: l.chainId,
        diffId: l.diffId,
        size: r.size,
        ...(l.parent ? { parent: l.parent } : {}),
      });
      await store.addCompressed(l.chainId, {
        digest: l.blob.digest,
        size: l.blob.size,
        mediaType: l.blob.mediaType,
      });
      layers++;
    } finally {
      await rm(dirname(dir), { recursive: true, force: true });
    }
  }
  for (const f of config.files) await source.toStore(store, f);

  // Every record is checked before any is written: one forged record rejects the import.
  for (const rec of config.records) {
    if (cacheKey(rec.keyInputs) !== rec.key) {
      throw new DigestMismatchError(
        `import cache ${what}: record ${rec.key} is not the key of its own inputs`,
      );
    }
  }
  let records = 0;
  for (const rec of config.records) {
    const cid = rec.result?.chainId;
    if (cid !== undefined && (await store.getLayer(cid)) === undefined) continue;
    if ((await store.getCacheRecord(rec.key)) !== undefined) continue;
    await store.putCacheRecord(rec);
    records++;
  }

  let mounts = 0;
  if (opts.mounts) {
    for (const m of config.mounts) {
      const path = store.cacheMountPath(m.id);
      if ((await readdir(path).catch(() => [])).length > 0) continue; // never clobber local state
      await source.toStore(store, m.blob);
      await store.ensureCacheMount(m.id);
      try {
        await applyLayer(path, store.openBlob(m.blob.digest));
      } catch (err) {
        await store.removeCacheMount(m.id);
        throw err;
      }
      mounts++;
    }
  }
  return {
    manifest: { mediaType: doc.mediaType, digest: doc.digest, size: bytes.length },
    records,
    layers,
    mounts,
  };
}
