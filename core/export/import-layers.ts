/**
 * importLayers: layer tars from outside (an archive, a rootfs tar) into the store. Every tar
 * goes through applyLayer (the hardened extractor) into a staging dir; only when every
 * layer's diffID matches what the config promises is anything committed.
 *
 * A diff dir can be re-tarred into exactly the original bytes only when the original came
 * from a writer like ours (sorted, PAX, no uname...). Tars from elsewhere (GNU tar, Docker,
 * registries) would export with a different diffID, so a plain tar is recorded as it is
 * applied into a tar-split index beside the diff (tar-split.ts, as Docker does): exporters
 * replay it over the diff dir, and the load reads and writes the layer once. A compressed
 * blob is kept in blobs/ as it came (recorded in layer.json) unless the diff dir re-tars
 * to its diffID; so is a plain tar the index cannot serve (one that names a path twice).
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CompressedLayer, Store } from '../../store/index.js';
import { applyLayer } from '../diff/apply-layer.js';
import { type TarSplitFile, TarSplitWriter } from '../diff/tar-split.js';
import { writeLayerTar } from '../diff/write-layer-tar.js';
import { chainId, chainIds, type Digest } from '../oci/digest.js';
import { DigestMismatchError } from '../oci/errors.js';
import { MediaType } from '../oci/media-types.js';
import type { LoadBudget } from './load-budget.js';

export interface LayerSource {
  /** Opens the layer blob (plain, gzip or zstd tar); may be called twice (apply, keep). */
  open(): Readable;
  /** When set, the blob bytes must hash to this (an OCI descriptor's digest). */
  blobDigest?: Digest;
  /** A name for error messages (`blobs/sha256/...`, `<id>/layer.tar`). */
  what: string;
}

/** A layer applied into a staging dir and checked, not yet committed. */
export interface StagedLayer {
  dir: string;
  diffId: Digest;
  /** Uncompressed tar size. */
  size: number;
  /** Set when the diff dir does not re-tar to `diffId`: the original blob to keep. */
  keep?: CompressedLayer;
  /** Set for a plain tar: its tar-split index, beside `dir` (see tar-split.ts). */
  tarSplit?: TarSplitFile;
  source: LayerSource;
}

/**
 * Makes the layers of `diffIds` present, base first. Layers already in the store are not
 * read at all. The others are staged, checked (blob digest when given, then diffID), and
 * committed in order only after all of them passed: a bad layer leaves the store as it was
 * (DigestMismatchError). With a `budget`, what staging writes is counted against it and a
 * layer that does not fit is refused as it streams. Returns the chainIDs.
 */
export async function importLayers(
  store: Store,
  diffIds: readonly Digest[],
  sources: readonly LayerSource[],
  budget?: LoadBudget,
): Promise<Digest[]> {
  const chains = chainIds(diffIds);
  const staged: { index: number; layer: StagedLayer }[] = [];
  try {
    for (const [i, chain] of chains.entries()) {
      if ((await store.getLayer(chain)) !== undefined) continue;
      const layer = await stageLayer(
        store,
        sources[i],
        diffIds[i],
        `layer ${i} (${sources[i].what})`,
        budget,
      );
      staged.push({ index: i, layer });
      budget?.take(layer.size);
    }
    for (const { index, layer } of staged) {
      await commitStaged(store, layer, index > 0 ? chains[index - 1] : undefined);
    }
  } finally {
    await Promise.all(staged.map((s) => discardStaged(s.layer)));
  }
  return chains;
}

/**
 * Applies `src` into a fresh staging dir. With `expected`, a different diffID is a
 * DigestMismatchError (the staging dir is removed). The caller commits or discards.
 */
export async function stageLayer(
  store: Store,
  src: LayerSource,
  expected: Digest | undefined,
  what: string,
  budget?: LoadBudget,
): Promise<StagedLayer> {
  const dir = await store.makeStagingDir();
  const split = TarSplitWriter.create(store.stagedTarSplitPath(dir));
  try {
    const tap = new DigestTap();
    const input = src.open();
    input.on('error', (err) => tap.destroy(err));
    const limits = budget ? { maxBytes: budget.left, capHint: budget.exceeded() } : {};
    const result = await applyLayer(dir, input.pipe(tap), { ...limits, split });
    // A plain tar is its own blob: its digest is the diffID (every byte of the stream).
    const blob = tap.result() ?? { digest: result.diffId, size: result.size, mediaType: MediaType.ociLayer };
    if (src.blobDigest !== undefined && blob.digest !== src.blobDigest) {
      throw new DigestMismatchError(
        `load ${what}: blob hashes to ${blob.digest}, expected ${src.blobDigest}`,
      );
    }
    if (expected !== undefined && result.diffId !== expected) {
      throw new DigestMismatchError(
        `load ${what}: uncompressed content is ${result.diffId}, the image config says ${expected}`,
      );
    }
    const staged: StagedLayer = { dir, diffId: result.diffId, size: result.size, source: src };
    if (blob.mediaType === MediaType.ociLayer && split.usable) {
      // The diff dir plus the index give back these very bytes: nothing else to keep.
      staged.tarSplit = await split.finish();
      return staged;
    }
    await split.abort();
    // A compressed blob is kept as it came (its digest is what registries know), unless the
    // diff dir re-tars to the same diffID; so is a plain tar that named one path twice (the
    // diff dir lost the first one's data). One hashing pass, no writes, decides.
    if ((await writeLayerTar(dir, null)).diffId !== result.diffId) {
      staged.keep = { digest: blob.digest, size: blob.size, mediaType: blob.mediaType };
    }
    return staged;
  } catch (err) {
    await split.abort();
    await rm(dirname(dir), { recursive: true, force: true });
    throw err;
  }
}

/** Commits a staged layer on top of `parent`, keeping its original blob when needed. */
export async function commitStaged(
  store: Store,
  layer: StagedLayer,
  parent: Digest | undefined,
): Promise<Digest> {
  const id = chainId(parent, layer.diffId);
  if (layer.keep !== undefined && !(await store.hasBlob(layer.keep.digest))) {
    const w = await store.ingest();
    try {
      await pipeline(layer.source.open(), w.stream);
      await w.commit({ digest: layer.keep.digest, size: layer.keep.size });
    } catch (err) {
      await w.abort();
      throw err;
    }
  }
  await store.commitLayer(layer.dir, {
    chainId: id,
    diffId: layer.diffId,
    size: layer.size,
    ...(parent ? { parent } : {}),
    ...(layer.tarSplit ? { tarSplit: layer.tarSplit } : {}),
  });
  if (layer.keep !== undefined) await store.addCompressed(id, layer.keep);
  return id;
}

/** Removes a staging dir that was not committed (commitLayer already removed committed ones). */
export async function discardStaged(layer: StagedLayer): Promise<void> {
  await rm(dirname(layer.dir), { recursive: true, force: true });
}

/**
 * Notes the compression of the bytes passing through by their magic and, only when they
 * are compressed, hashes and counts them (a plain tar's digest is its diffID, which the
 * tar reader computes anyway).
 */
class DigestTap extends Transform {
  readonly #hash = createHash('sha256');
  #size = 0;
  #head: Buffer = Buffer.alloc(0);
  #mediaType: string | undefined;
  #done: { digest: Digest; size: number; mediaType: string } | undefined;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#mediaType === undefined) {
      this.#head = Buffer.concat([this.#head, chunk.subarray(0, 4)]);
      if (this.#head.length >= 4) this.#mediaType = mediaTypeOf(this.#head);
    }
    if (this.#mediaType !== MediaType.ociLayer) {
      this.#hash.update(chunk);
      this.#size += chunk.length;
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const mediaType = this.#mediaType ?? mediaTypeOf(this.#head);
    if (mediaType !== MediaType.ociLayer)
      this.#done = { digest: `sha256:${this.#hash.digest('hex')}`, size: this.#size, mediaType };
    cb();
  }
  /** Known once the stream has ended, and only for a compressed stream. */
  result(): { digest: Digest; size: number; mediaType: string } | undefined {
    return this.#done;
  }
}

function mediaTypeOf(h: Buffer): string {
  if (h[0] === 0x1f && h[1] === 0x8b) return MediaType.ociLayerGzip;
  if (h.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return MediaType.ociLayerZstd;
  return MediaType.ociLayer;
}
