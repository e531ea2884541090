/**
 * ImageSource: an image to look inside without importing it, whatever holds it (the store,
 * a `docker save` tar, an OCI layout directory). Small on purpose (go-containerregistry's
 * tarball/layout/remote split): the config, one row per layer, and a fresh pass over one
 * layer's changes per call. What the image means (merged trees, waste, blame) is derived
 * from these in image-files.ts, the same way for every source.
 */
import type { Digest } from '../oci/digest.js';
import type { ImageConfig } from '../oci/types.js';
import type { LayerEntry } from './layer-entry.js';

export interface SourceLayer {
  diffId: Digest;
  /** The compressed blob's digest, when the source has one. */
  blobDigest?: Digest;
  /** Bytes of the uncompressed tar, when known without reading the layer. */
  size?: number;
}

export interface ImageSource {
  /** How the user named it (`app:1`, `docker-archive:app.tar`). */
  readonly name: string;
  /** Where it came from, for the page and `--json`. */
  readonly kind: 'store' | 'docker-archive' | 'oci-layout';
  readonly id: Digest;
  readonly config: ImageConfig;
  /** Bottom layer first; the same length as the config's diff_ids. */
  readonly layers: readonly SourceLayer[];
  /**
   * The changes of layer `i`, in the order the source holds them (parents before children).
   * Tar sources check the layer against its diffID once read to the end (DigestMismatchError).
   */
  entries(i: number): AsyncIterable<LayerEntry>;
  /** Releases temp files; the source is unusable afterwards. */
  close(): Promise<void>;
}

/** Caps for reading an untrusted layer (the same order as loading one). */
export const LAYER_LIMITS = { maxBytes: 64 * 2 ** 30, maxEntries: 2_000_000 };
