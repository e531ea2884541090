/**
 * The OCI image index of a multi-platform image: one manifest per platform (each with its
 * platform from its config, as buildManifest gives), the index stored as a blob so the
 * returned descriptor names content that is present. What `docker buildx build --platform
 * a,b --output type=oci` writes: index.json names this index, the index names the manifests.
 */
import type { Store } from '../../store/index.js';
import type { Digest } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import { MediaType } from '../oci/media-types.js';
import { formatPlatform } from '../oci/platform.js';
import type { Descriptor, Index } from '../oci/types.js';
import { type BuiltManifest, buildManifest } from './build-manifest.js';
import type { LayerBlobOptions, LayerCompression } from './layer-blob.js';

export interface BuiltIndex {
  manifests: BuiltManifest[];
  index: Index;
  indexBytes: Buffer;
  /** The index's descriptor (mediaType OCI index): what index.json or a tag names. */
  manifestDescriptor: Descriptor;
}

/** Builds one manifest per image (in the order given) and the index over them. */
export async function buildImageIndex(
  store: Store,
  images: Digest[],
  compression: LayerCompression,
  opts: LayerBlobOptions = {},
): Promise<BuiltIndex> {
  const manifests: BuiltManifest[] = [];
  const seen = new Set<string>();
  for (const config of images) {
    const built = await buildManifest(store, { config }, compression, opts);
    const p = formatPlatform(built.manifestDescriptor.platform!);
    // Two images of one platform: a reader could pick either (containerd picks the first).
    if (seen.has(p)) throw new InvalidInputError(`export image index: two images for ${p}`);
    seen.add(p);
    manifests.push(built);
  }
  const index: Index = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: manifests.map((m) => m.manifestDescriptor),
  };
  const indexBytes = Buffer.from(JSON.stringify(index), 'utf8');
  const { digest, size } = await store.putBlob(indexBytes);
  return {
    manifests,
    index,
    indexBytes,
    manifestDescriptor: { mediaType: MediaType.ociIndex, digest, size },
  };
}
