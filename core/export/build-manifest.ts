/**
 * The OCI manifest of a stored image, for a chosen layer compression. The manifest bytes are
 * stored as a blob, so the returned descriptor names content that is present.
 */
import type { Store } from '../../store/index.js';
import { readImage, type StoredImage } from '../image/read-image.js';
import type { Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, Manifest } from '../oci/types.js';
import {
  type LayerBlob,
  type LayerBlobOptions,
  type LayerCompression,
  resolveLayerBlobs,
} from './layer-blob.js';

export interface BuiltManifest {
  image: StoredImage;
  manifest: Manifest;
  /** The exact bytes `manifestDescriptor` hashes. */
  manifestBytes: Buffer;
  manifestDescriptor: Descriptor;
  configDescriptor: Descriptor;
  layers: LayerBlob[];
}

/**
 * Builds the image's manifest with OCI media types (one family throughout, formats.md 3.7).
 * The index descriptor carries the platform from the config. Deterministic: the same image
 * and compression give the same manifest digest (gzip output is fixed by ensureCompressedBlob
 * and reused once made).
 */
export async function buildManifest(
  store: Store,
  image: { config: Digest },
  compression: LayerCompression,
  opts: LayerBlobOptions = {},
): Promise<BuiltManifest> {
  const stored = await readImage(store, image.config);
  const layers = await resolveLayerBlobs(store, stored.layers, compression, opts);
  const configDescriptor: Descriptor = {
    mediaType: MediaType.ociConfig,
    digest: stored.configDigest,
    size: stored.configBytes.length,
  };
  const {
    manifest,
    bytes: manifestBytes,
    digest,
    size,
  } = await storeManifest(
    store,
    MediaType.ociManifest,
    configDescriptor,
    layers.map((l) => l.descriptor),
  );
  const platform = {
    architecture: stored.config.architecture,
    os: stored.config.os,
    ...(stored.config.variant ? { variant: stored.config.variant } : {}),
  };
  return {
    image: stored,
    manifest,
    manifestBytes,
    manifestDescriptor: { mediaType: MediaType.ociManifest, digest, size, platform },
    configDescriptor,
    layers,
  };
}

/**
 * An image manifest of `mediaType` for `config` and `layers`, serialised once and stored as a
 * blob: the bytes its digest names (export and push both send exactly these).
 */
export async function storeManifest(
  store: Store,
  mediaType: string,
  config: Descriptor,
  layers: Descriptor[],
): Promise<{ manifest: Manifest; bytes: Buffer; digest: Digest; size: number }> {
  const manifest: Manifest = { schemaVersion: 2, mediaType, config, layers };
  const bytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  const { digest, size } = await store.putBlob(bytes);
  return { manifest, bytes, digest, size };
}
