/**
 * ensureCompressedBlob: a layer's diff dir -> a verified blob in the store, made once and
 * remembered in layer.json. Also exportLayerTar, the uncompressed path that skips the store.
 *
 * Parallelism: gzip (~60-70 MB/s per core, ~25 MB/s on incompressible data) is the cost,
 * tarring and hashing are not (~1 GB/s). The gzip is block-parallel (parallel-gzip.ts): one
 * layer's blocks deflate on several libuv pool threads at once while the main thread walks,
 * hashes and copies, so even a single 200 MB layer uses every core. Callers may still run
 * several layers at once; the pool (4 threads) bounds the total.
 */
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CompressedLayer, LayerRecord } from '../../store/layer-record.js';
import type { Store } from '../../store/store.js';
import type { Digest } from '../oci/digest.js';
import { DigestMismatchError } from '../oci/errors.js';
import { MediaType } from '../oci/media-types.js';
import { createParallelGzip } from './parallel-gzip.js';
import { writeStoredLayerTar } from './stored-layer-tar.js';

export interface EnsureBlobOptions {
  /** Must be the epoch the layer's diffID was computed with (it changes the tar bytes). */
  sourceDateEpoch?: number;
  /** 'gzip' (default) or 'none' for a plain-tar blob (blob digest = diffID). */
  compression?: 'gzip' | 'none';
  /** Media type recorded and returned; defaults to the OCI type for the compression. */
  mediaType?: string;
  /** gzip level 1-9; default 6 (Docker's and containerd's default). */
  level?: number;
  /**
   * Sees every gzip chunk, in order, while it is made (push uploads it at the same time);
   * awaited, so a slow consumer slows compression instead of buffering. Called only when
   * this call gzips (not for 'none', not when a recorded blob is reused); the bytes it saw
   * are the blob only if the call then succeeds.
   */
  onCompressed?: (chunk: Buffer) => Promise<void> | void;
}

function kindOf(mt: string): 'gzip' | 'none' | 'other' {
  return mt.endsWith('gzip') ? 'gzip' : mt.endsWith('.tar') ? 'none' : 'other';
}

/**
 * Returns a blob of `layer` in the requested compression, present in the store.
 * If layer.json already lists one of that compression whose blob is present, it is reused
 * (with `opts.mediaType`, when given, as the type returned). Otherwise the layer's tar (a
 * stored blob named by its diffID when there is one, else the diff dir tarred or, for a
 * loaded layer, its tar-split index replayed over the diff dir) is
 * compressed and ingested in one pass; the tar's sha256 must equal the recorded
 * diffID, else the diff dir was changed after commit: DigestMismatchError and nothing is
 * committed. Success means "the blob is present and recorded", not "this call wrote it".
 * The gzip bytes are deterministic for a given tar and level (see parallel-gzip.ts).
 */
export async function ensureCompressedBlob(
  store: Store,
  layer: LayerRecord,
  opts: EnsureBlobOptions = {},
): Promise<CompressedLayer> {
  const gzip = (opts.compression ?? 'gzip') === 'gzip';
  const mediaType = opts.mediaType ?? (gzip ? MediaType.ociLayerGzip : MediaType.ociLayer);
  const fresh = (await store.getLayer(layer.chainId)) ?? layer;
  for (const c of fresh.compressed) {
    if (kindOf(c.mediaType) === (gzip ? 'gzip' : 'none') && (await store.hasBlob(c.digest))) {
      return { digest: c.digest, size: c.size, mediaType };
    }
  }
  // A blob named by the diffID is the layer's tar (content addressing says so): a COPY of
  // many small files keeps one (measure-layer-tar.ts). One sequential read of it replaces
  // a walk that opens every file; plain, it is the blob asked for already.
  const kept = (await store.hasBlob(layer.diffId)) ? layer.diffId : undefined;
  if (kept !== undefined && !gzip) {
    const out: CompressedLayer = { digest: kept, size: layer.size, mediaType };
    await store.addCompressed(layer.chainId, out);
    return out;
  }
  const ingest = await store.ingest();
  try {
    let diffId: Digest;
    if (gzip) {
      // Block-parallel gzip: a single big layer (the common case for COPY of data) would
      // otherwise deflate on one core; see parallel-gzip.ts for the format.
      const gz = createParallelGzip({ level: opts.level ?? 6 });
      const tap = opts.onCompressed;
      const piping =
        tap === undefined
          ? pipeline(gz, ingest.stream)
          : pipeline(
              gz,
              async function* (chunks: AsyncIterable<Buffer>) {
                for await (const c of chunks) {
                  await tap(c);
                  yield c;
                }
              },
              ingest.stream,
            );
      const tar =
        kept !== undefined
          ? pipeline(store.openBlob(kept), gz).then(() => ({ diffId: kept }))
          : writeStoredLayerTar(store, layer, gz, opts);
      const written = tar.catch((err: unknown) => {
        gz.destroy(err as Error);
        throw err;
      });
      [{ diffId }] = await Promise.all([written, piping]);
    } else {
      ({ diffId } = await writeStoredLayerTar(store, layer, ingest.stream, { ...opts, hashedBy: ingest }));
    }
    if (diffId !== layer.diffId) {
      throw new DigestMismatchError(
        `compress layer ${layer.chainId}: diff dir tars to ${diffId}, recorded diffID is ${layer.diffId}`,
      );
    }
    const { digest, size } = await ingest.commit(gzip ? {} : { digest: layer.diffId });
    const out: CompressedLayer = { digest, size, mediaType };
    await store.addCompressed(layer.chainId, out);
    return out;
  } catch (err) {
    await ingest.abort();
    throw err;
  }
}

/**
 * Streams `layer` as a plain tar to `out` without storing it (Docker 25 `docker save`
 * writes uncompressed layers) and ends `out`. The diffID is checked at the end: on a
 * mismatch the bytes are already written, so DigestMismatchError tells the caller to
 * discard its output.
 */
export async function exportLayerTar(
  store: Store,
  layer: LayerRecord,
  out: Writable,
  opts: { sourceDateEpoch?: number } = {},
): Promise<{ diffId: Digest; size: number }> {
  const r = await writeStoredLayerTar(store, layer, out, opts);
  if (r.diffId !== layer.diffId) {
    throw new DigestMismatchError(
      `export layer ${layer.chainId}: diff dir tars to ${r.diffId}, recorded diffID is ${layer.diffId}`,
    );
  }
  return { diffId: r.diffId, size: r.size };
}
