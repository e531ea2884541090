/**
 * importLayers: layer tars from outside (an archive, a rootfs tar) into the store. Every tar
 * goes through applyLayer (the hardened extractor) into a staging dir; only when every
 * layer's diffID matches what the config promises is anything committed.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type { Store } from '../../store/index.js';
import { applyLayer } from '../diff/apply-layer.js';
import { chainIds, type Digest } from '../oci/digest.js';
import { DigestMismatchError } from '../oci/errors.js';

export interface LayerSource {
  /** Opens the layer blob (plain or gzip tar; applyLayer sniffs the compression). */
  open(): Readable;
  /** When set, the blob bytes must hash to this (an OCI descriptor's digest). */
  blobDigest?: Digest;
  /** A name for error messages (`blobs/sha256/...`, `<id>/layer.tar`). */
  what: string;
}

/**
 * Makes the layers of `diffIds` present, base first. Layers already in the store are not
 * read at all. The others are staged, checked (blob digest when given, then diffID), and
 * committed in order only after all of them passed: a bad layer leaves the store as it was
 * (DigestMismatchError). Returns the chainIDs.
 */
export async function importLayers(
  store: Store,
  diffIds: readonly Digest[],
  sources: readonly LayerSource[],
): Promise<Digest[]> {
  const chains = chainIds(diffIds);
  const staged: { index: number; dir: string; size: number }[] = [];
  try {
    for (const [i, chainId] of chains.entries()) {
      if ((await store.getLayer(chainId)) !== undefined) continue;
      const dir = await store.makeStagingDir();
      staged.push({ index: i, dir, size: 0 });
      staged[staged.length - 1].size = await stageLayer(dir, diffIds[i], sources[i], i);
    }
    for (const s of staged) {
      const i = s.index;
      await store.commitLayer(s.dir, {
        chainId: chains[i],
        diffId: diffIds[i],
        size: s.size,
        ...(i > 0 ? { parent: chains[i - 1] } : {}),
      });
    }
  } finally {
    // commitLayer removes what it committed; whatever is left over was never committed.
    await Promise.all(staged.map((s) => rm(dirname(s.dir), { recursive: true, force: true })));
  }
  return chains;
}

async function stageLayer(dir: string, diffId: Digest, src: LayerSource, i: number): Promise<number> {
  const tap = new DigestTap();
  const input = src.open();
  input.on('error', (err) => tap.destroy(err));
  const result = await applyLayer(dir, input.pipe(tap));
  if (src.blobDigest !== undefined) {
    const got = tap.digest();
    if (got !== src.blobDigest) {
      throw new DigestMismatchError(
        `load layer ${i} (${src.what}): blob hashes to ${got ?? 'an unfinished stream'}, expected ${src.blobDigest}`,
      );
    }
  }
  if (result.diffId !== diffId) {
    throw new DigestMismatchError(
      `load layer ${i} (${src.what}): uncompressed content is ${result.diffId}, the image config says ${diffId}`,
    );
  }
  return result.size;
}

/** Hashes the bytes passing through; digest() is known only once the stream ended. */
class DigestTap extends Transform {
  readonly #hash = createHash('sha256');
  #digest: Digest | undefined;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    this.#digest = `sha256:${this.#hash.digest('hex')}`;
    cb();
  }
  digest(): Digest | undefined {
    return this.#digest;
  }
}
