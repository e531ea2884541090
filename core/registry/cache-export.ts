/**
 * Shared build cache out of and into a store (`--cache-to` / `--cache-from`). exportCache
 * writes the cache records, every layer their results name (with its whole chain, so a
 * fresh store can commit them), the COPY file lists and, with `mounts`, the cache-mount
 * dirs as tar layers, as one artifact (see cache-manifest.ts) to a registry tag or a local
 * OCI layout. importCache reads it back: every blob verified, every layer through
 * applyLayer and checked against its diffID, every record's key recomputed from its inputs
 * (a record whose key does not hash its inputs would poison the cache: refused), so a
 * later plan in the importing store gets the same hits.
 */
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Store } from '../../store/index.js';
import type { CacheRecord } from '../cache/records.js';
import { ensureCompressedBlob } from '../diff/ensure-compressed-blob.js';
import { writeLayerTar } from '../diff/write-layer-tar.js';
import { parseRef } from '../image/reference.js';
import { type Digest, sha256 } from '../oci/digest.js';
import { NotFoundError } from '../oci/errors.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, Manifest } from '../oci/types.js';
import {
  CACHE_ARTIFACT_TYPE,
  CACHE_CONFIG_TYPE,
  CACHE_FILES_TYPE,
  CACHE_MOUNT_TYPE,
  CacheBlobs,
  type CacheConfig,
  type CacheLayerEntry,
  mergeCacheConfigs,
  readCacheConfig,
} from './cache-manifest.js';
import type { CacheLocation } from './cache-spec.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';

export interface CacheExportOptions extends RegistryClientOptions {
  /** Export only these records (default: every record in the store). */
  keys?: readonly Digest[];
  /** Also export RUN --mount=type=cache dirs (default false). */
  mounts?: boolean;
}

export interface CacheTransferResult {
  manifest: Descriptor;
  records: number;
  layers: number;
  mounts: number;
}

/** Opens the location: a registry repository + tag, or a local layout dir. */
export async function openCacheLocation(
  location: CacheLocation,
  opts: RegistryClientOptions,
): Promise<CacheBlobs> {
  if (location.type === 'local') return new CacheBlobs(location);
  const ref = parseRef(location.ref);
  const client = await RegistryClient.create(ref.domain, opts);
  return new CacheBlobs(location, client, ref.path, ref.tag ?? ref.digest);
}

export async function exportCache(
  store: Store,
  location: CacheLocation,
  opts: CacheExportOptions = {},
): Promise<CacheTransferResult> {
  const wanted = opts.keys === undefined ? undefined : new Set(opts.keys);
  const all = await store.listCacheRecords<CacheRecord>();
  const records: CacheRecord[] = [];
  const chains = new Set<Digest>();
  for (const rec of all) {
    if (wanted !== undefined && !wanted.has(rec.key)) continue;
    const cid = rec.result?.chainId;
    if (cid !== undefined) {
      // A record whose layer is gone would be a miss anywhere: leave it out.
      if ((await store.getLayer(cid)) === undefined) continue;
      chains.add(cid);
      for (const lower of await store.lowerChain(cid)) chains.add(lower);
    }
    records.push(rec);
  }
  const layers: CacheLayerEntry[] = [];
  for (const cid of chains) {
    const rec = (await store.getLayer(cid))!;
    const c = await ensureCompressedBlob(store, rec);
    layers.push({
      chainId: rec.chainId,
      diffId: rec.diffId,
      ...(rec.parent !== undefined ? { parent: rec.parent } : {}),
      size: rec.size,
      blob: { mediaType: MediaType.ociLayerGzip, digest: c.digest, size: c.size },
    });
  }
  // Parents before children: depth = length of the lower chain.
  const depth = new Map<Digest, number>();
  for (const l of layers) depth.set(l.chainId, (await store.lowerChain(l.chainId)).length);
  layers.sort((a, b) => depth.get(a.chainId)! - depth.get(b.chainId)! || a.chainId.localeCompare(b.chainId));

  const files: Descriptor[] = [];
  for (const rec of records) {
    if (rec.filesBlob === undefined || !(await store.hasBlob(rec.filesBlob))) continue;
    if (files.some((f) => f.digest === rec.filesBlob)) continue;
    const size = (await store.readBlob(rec.filesBlob)).length;
    files.push({ mediaType: CACHE_FILES_TYPE, digest: rec.filesBlob, size });
  }
  const mounts: CacheConfig['mounts'] = [];
  if (opts.mounts) {
    for (const m of await store.listCacheMounts()) {
      if (m.id === undefined) continue;
      // The lock a `sharing=locked` RUN takes: no such step writes the dir while it is read
      // (any other writer meets the tar writer's no-follow, same-inode reads).
      const lock = await store.lock(`cachemount-${m.id}`);
      try {
        mounts.push({ id: m.id, blob: await tarMount(store, m.path) });
      } finally {
        await lock.release();
      }
    }
  }
  const config: CacheConfig = { version: 1, records, layers, files, mounts };
  const target = await openCacheLocation(location, opts);
  const mine = cacheManifest(config);
  await target.put(mine.configDesc, async function* () {
    yield mine.configBytes;
  });
  for (const b of mine.blobs) await target.put(b, () => store.openBlob(b.digest));
  if (!target.shared) {
    const desc = await target.putManifest(mine.bytes);
    return { manifest: desc, records: records.length, layers: layers.length, mounts: mounts.length };
  }
  // Several jobs may export to one ref at once, and a registry has no compare-and-swap: a
  // plain overwrite (what BuildKit's registry cache does: moby/buildkit#2822) loses every entry but the last
  // writer's. So this export's entries first go under a tag of their own, named by their
  // content, that no other job writes; then the main tag gets the union of what it held and
  // this export (merge on write). A race on the main tag can still drop another job's
  // entries from it, never from its part tag, and importCache merges the parts back in.
  await target.putManifest(mine.bytes, target.partTag(sha256(mine.bytes)));
  const what = location.type === 'registry' ? location.ref : location.dir;
  const current = await readCacheConfig(target, what).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  const merged = current === undefined ? mine : cacheManifest(mergeCacheConfigs([current.config, config]));
  if (merged !== mine) {
    // Its other blobs are there already: this export's, or those of the export that wrote them.
    await target.put(merged.configDesc, async function* () {
      yield merged.configBytes;
    });
  }
  const desc = await target.putManifest(merged.bytes);
  return { manifest: desc, records: records.length, layers: layers.length, mounts: mounts.length };
}

/** The cache artifact of `config`: its config blob and the manifest over it and every blob it names. */
function cacheManifest(config: CacheConfig): {
  configBytes: Buffer;
  configDesc: Descriptor;
  blobs: Descriptor[];
  bytes: Buffer;
} {
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDesc: Descriptor = {
    mediaType: CACHE_CONFIG_TYPE,
    digest: sha256(configBytes),
    size: configBytes.length,
  };
  const blobs = [...config.layers.map((l) => l.blob), ...config.files, ...config.mounts.map((m) => m.blob)];
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: CACHE_ARTIFACT_TYPE,
    config: configDesc,
    layers: blobs,
  };
  return { configBytes, configDesc, blobs, bytes: Buffer.from(JSON.stringify(manifest)) };
}

/** A cache-mount dir as a gzip tar blob in the store (made each export: mounts change). */
async function tarMount(store: Store, dir: string): Promise<Descriptor> {
  await stat(dir);
  const ingest = await store.ingest();
  try {
    const gz = createGzip();
    const piping = pipeline(gz, ingest.stream);
    const written = writeLayerTar(dir, gz).catch((err: unknown) => {
      gz.destroy(err as Error);
      throw err;
    });
    await Promise.all([written, piping]);
    const { digest, size } = await ingest.commit();
    return { mediaType: CACHE_MOUNT_TYPE, digest, size };
  } catch (err) {
    await ingest.abort();
    throw err;
  }
}
