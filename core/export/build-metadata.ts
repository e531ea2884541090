/**
 * The `--metadata-file` of a build, in the shape `docker buildx build --metadata-file` writes
 * (buildx's build/build.go puts the exporter response there; CI actions read
 * `containerimage.digest` and `image.name` from it):
 *
 *     { "containerimage.config.digest": "sha256:...",          the image ID
 *       "containerimage.descriptor": { mediaType, digest, size }, the manifest
 *       "containerimage.digest": "sha256:...",                  the manifest digest
 *       "image.name": "docker.io/library/app:1,docker.io/library/app:latest" }
 *
 * The manifest is the one a registry holds after `--push` (docker media types, as `strata
 * push` sends), else the OCI manifest `--output type=oci` writes (gzip layers; making it
 * compresses each layer once and remembers the blob, as an export would).
 *
 * `buildx.build.ref` is left out on purpose: it names a record in a buildx builder's history
 * (`docker buildx history inspect REF`), which strata does not keep; a tool that followed it
 * would ask a builder that never saw this build. strata's own build report id is given as
 * `strata.build.id` instead (`$(strata root)/meta/build-<id>.json`, what `strata explain` reads).
 */
import type { Store } from '../../store/index.js';
import type { Digest } from '../oci/digest.js';
import type { Descriptor } from '../oci/types.js';
import { buildManifest } from './build-manifest.js';

export interface BuildMetadata {
  'containerimage.config.digest': Digest;
  'containerimage.descriptor': Descriptor;
  'containerimage.digest': Digest;
  'image.name'?: string;
  'strata.build.id'?: string;
}

/**
 * The metadata of a build that made `imageId` and named it `names` (normalised references).
 * `pushed` is the manifest the registry accepted, when the build pushed.
 */
export async function buildMetadata(
  store: Store,
  imageId: Digest,
  names: string[],
  opts: { pushed?: Descriptor; buildId?: string } = {},
): Promise<BuildMetadata> {
  let desc = opts.pushed;
  if (desc === undefined) {
    const d = (await buildManifest(store, { config: imageId }, 'gzip')).manifestDescriptor;
    desc = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  }
  return {
    'containerimage.config.digest': imageId,
    'containerimage.descriptor': { mediaType: desc.mediaType, digest: desc.digest, size: desc.size },
    'containerimage.digest': desc.digest,
    ...(names.length > 0 ? { 'image.name': names.join(',') } : {}),
    ...(opts.buildId ? { 'strata.build.id': opts.buildId } : {}),
  };
}
