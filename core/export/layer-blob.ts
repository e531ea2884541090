/**
 * A layer as it goes into a manifest: its descriptor plus a way to open exactly the bytes the
 * descriptor names. Every source below is checked as it streams (a stored blob against its
 * digest, a regenerated or decompressed tar against the diffID), failing at its end.
 *
 * Where an uncompressed tar comes from, in order of preference:
 *   1. a plain-tar blob recorded in layer.json (kept at load when the diff dir cannot
 *      reproduce the original tar, see import-layers.ts), or any stored blob named by the
 *      diffID (a COPY of many small files keeps its tar, see measure-layer-tar.ts);
 *   2. a recorded gzip/zstd blob, decompressed (its tar is exactly the diffID's);
 *   3. the diff dir: writeLayerTar (no blob is needed, the common case for built layers), or
 *      for a loaded layer its tar-split index replayed over it (the original bytes).
 */
import { cpus } from 'node:os';
import { PassThrough } from 'node:stream';
import type { CompressedLayer, LayerRecord, Store } from '../../store/index.js';
import { decompressed } from '../diff/decompressed.js';
import { ensureCompressedBlob } from '../diff/ensure-compressed-blob.js';
import { writeStoredLayerTar } from '../diff/stored-layer-tar.js';
import { DigestMismatchError } from '../oci/errors.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/types.js';
import { sha256Stream } from './sha256-stream.js';

export type LayerCompression = 'gzip' | 'none';

export interface LayerBlobOptions {
  /** The SOURCE_DATE_EPOCH the layers' diffIDs were computed with (it changes tar bytes). */
  sourceDateEpoch?: number;
}

export interface LayerBlob {
  record: LayerRecord;
  descriptor: Descriptor;
  /** A fresh stream of the blob bytes; errors at its end if they do not match the descriptor. */
  open(): AsyncIterable<Uint8Array>;
}

const isPlain = (c: CompressedLayer, r: LayerRecord) => c.digest === r.diffId;

/**
 * Resolves the blob of every layer, in order. `gzip` makes (or reuses) compressed blobs,
 * several layers at once (zlib runs on the libuv pool); `none` needs no work up front.
 */
export async function resolveLayerBlobs(
  store: Store,
  layers: readonly LayerRecord[],
  compression: LayerCompression,
  opts: LayerBlobOptions = {},
): Promise<LayerBlob[]> {
  if (compression === 'none') return Promise.all(layers.map((r) => uncompressedLayerBlob(store, r, opts)));
  const out: LayerBlob[] = new Array(layers.length);
  let next = 0;
  const workers = Math.max(1, Math.min(layers.length, cpus().length));
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < layers.length) {
        const i = next++;
        const record = layers[i];
        // A recorded gzip blob, else gzip of a plain tar blob, else of the diff dir.
        const c = await ensureCompressedBlob(store, record, opts);
        const descriptor: Descriptor = { mediaType: c.mediaType, digest: c.digest, size: c.size };
        out[i] = { record, descriptor, open: () => store.openBlob(c.digest) };
      }
    }),
  );
  return out;
}

/** The layer as a plain tar: blob digest = diffID, size = the recorded tar size. */
export async function uncompressedLayerBlob(
  store: Store,
  record: LayerRecord,
  opts: LayerBlobOptions = {},
): Promise<LayerBlob> {
  const descriptor = { mediaType: MediaType.ociLayer, digest: record.diffId, size: record.size };
  // A plain tar blob is named by the diffID, whether recorded or kept by a COPY.
  if (await store.hasBlob(record.diffId))
    return { record, descriptor, open: () => store.openBlob(record.diffId) };
  const packed = await presentBlob(store, record, (c) => !isPlain(c, record));
  if (packed !== undefined) {
    return { record, descriptor, open: () => checkTar(decompressed(store.openBlob(packed.digest)), record) };
  }
  return { record, descriptor, open: () => layerTarChunks(store, record, opts) };
}

async function presentBlob(
  store: Store,
  record: LayerRecord,
  want: (c: CompressedLayer) => boolean,
): Promise<CompressedLayer | undefined> {
  for (const c of record.compressed) if (want(c) && (await store.hasBlob(c.digest))) return c;
  return undefined;
}

async function* layerTarChunks(
  store: Store,
  record: LayerRecord,
  opts: LayerBlobOptions,
): AsyncGenerator<Uint8Array> {
  const pass = new PassThrough({ highWaterMark: 1 << 20 });
  const written = writeStoredLayerTar(store, record, pass, opts);
  written.catch((err: Error) => pass.destroy(err));
  for await (const chunk of pass) yield chunk as Buffer;
  const { diffId, size } = await written;
  if (diffId !== record.diffId || size !== record.size) throw mismatch(record, diffId, size);
}

async function* checkTar(src: AsyncIterable<Buffer>, record: LayerRecord): AsyncGenerator<Uint8Array> {
  const hash = sha256Stream();
  for await (const chunk of src) {
    hash.update(chunk);
    yield chunk;
  }
  const { digest, size } = hash.result();
  if (digest !== record.diffId || size !== record.size) throw mismatch(record, digest, size);
}

function mismatch(record: LayerRecord, diffId: string, size: number): DigestMismatchError {
  return new DigestMismatchError(
    `write layer ${record.chainId}: its content now hashes to ${diffId} (${size} bytes), ` +
      `expected ${record.diffId} (${record.size} bytes); the store was modified`,
  );
}
