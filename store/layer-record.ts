/** What the store remembers about one layer: `layers/<chainid-hex>/layer.json`. */
import { type Digest, DigestMismatchError, isDigest } from '../core/oci/index.js';
import { readJsonFile } from './atomic-file.js';

/** One compressed form of a layer, kept as a blob in blobs/. */
export interface CompressedLayer {
  digest: Digest;
  size: number;
  mediaType: string;
}

export interface LayerRecord {
  chainId: Digest;
  /** sha256 of the uncompressed tar of diff/ (what the image config lists). */
  diffId: Digest;
  /** chainID of the layer below; absent for a base layer. */
  parent?: Digest;
  /** Size in bytes as given at commit (the uncompressed tar size). */
  size: number;
  /** ISO 8601 time of the commit that wrote the record. */
  createdAt: string;
  /** Compressed blobs made from this layer so far, in the order they were added. */
  compressed: CompressedLayer[];
  /**
   * Set for a tar loaded from outside: `tar-split.gz` beside diff/ holds what, with the
   * diff dir, gives back the original tar bytes (core/diff/tar-split.ts); its digest and size.
   */
  tarSplit?: { digest: Digest; size: number };
}

/**
 * Reads a layer.json: undefined when missing, DigestMismatchError naming the file when it
 * does not parse or does not describe `chainId` (a damaged or hand-edited store).
 */
export async function readLayerRecord(path: string, chainId: Digest): Promise<LayerRecord | undefined> {
  const rec = await readJsonFile<LayerRecord>(path);
  if (rec === undefined) return undefined;
  const ok =
    typeof rec === 'object' &&
    rec !== null &&
    rec.chainId === chainId &&
    isDigest(rec.diffId) &&
    (rec.parent === undefined || isDigest(rec.parent)) &&
    typeof rec.size === 'number' &&
    Array.isArray(rec.compressed) &&
    (rec.tarSplit === undefined ||
      (isDigest(rec.tarSplit?.digest) && Number.isSafeInteger(rec.tarSplit?.size)));
  if (!ok) throw new DigestMismatchError(`read ${path}: not a layer record for ${chainId}`);
  return rec;
}
