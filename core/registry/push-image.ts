/**
 * pushImage: a stored image to a registry (formats.md 5.1 push order). Layers get a gzip
 * blob through core/export's resolveLayerBlobs (reusing the one a pull or an earlier export
 * recorded, else compressing once and recording it); then config and layers are uploaded
 * (each skipped when the registry has it), and the manifest is PUT under the tag. One media
 * type family throughout (formats.md 5.5): Docker schema2 by default, which every registry
 * and Docker 20.10 accept, or OCI.
 */
import type { Store } from '../../store/index.js';
import { resolveLayerBlobs } from '../export/layer-blob.js';
import { readImage } from '../image/read-image.js';
import { type ParsedRef, parseRef, repositoryName } from '../image/reference.js';
import type { Digest } from '../oci/digest.js';
import { DigestMismatchError } from '../oci/errors.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, Manifest } from '../oci/types.js';
import { type UploadResult, uploadBlob } from './blob-upload.js';
import { boundedMap } from './bounded-map.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';

export type PushProgress =
  | { type: 'blob'; digest: Digest; status: 'uploading' | UploadResult; done: number; total: number }
  | { type: 'done'; ref: string; manifest: Digest };

export interface PushOptions extends RegistryClientOptions {
  /** Media type family: 'docker' (default) or 'oci'. */
  format?: 'docker' | 'oci';
  onProgress?: (e: PushProgress) => void;
  /** Blobs uploaded at once (default 3). */
  concurrency?: number;
  /** Upload in PATCH chunks of this many bytes instead of one PUT. */
  chunkSize?: number;
  /** Try a cross-repo mount from this repository (same registry) before uploading. */
  mountFrom?: string;
  /** The SOURCE_DATE_EPOCH the layers were built with (needed to recompress identically). */
  sourceDateEpoch?: number;
}

export interface PushResult {
  manifest: Descriptor;
  /** `registry/repo:tag@digest` as pushed. */
  ref: string;
}

const TYPES = {
  docker: {
    manifest: MediaType.dockerManifest,
    config: MediaType.dockerConfig,
    layer: MediaType.dockerLayerGzip,
  },
  oci: { manifest: MediaType.ociManifest, config: MediaType.ociConfig, layer: MediaType.ociLayerGzip },
} as const;

export async function pushImage(
  store: Store,
  image: { config: Digest },
  ref: string,
  opts: PushOptions = {},
): Promise<PushResult> {
  const parsed: ParsedRef = parseRef(ref);
  const types = TYPES[opts.format ?? 'docker'];
  const stored = await readImage(store, image.config);
  const layers = await resolveLayerBlobs(
    store,
    stored.layers,
    'gzip',
    opts.sourceDateEpoch !== undefined ? { sourceDateEpoch: opts.sourceDateEpoch } : {},
  );
  const config: Descriptor = {
    mediaType: types.config,
    digest: stored.configDigest,
    size: stored.configBytes.length,
  };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config,
    layers: layers.map((l) => ({
      mediaType: types.layer,
      digest: l.descriptor.digest,
      size: l.descriptor.size,
    })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  const { digest } = await store.putBlob(bytes);
  if (parsed.digest !== undefined && parsed.digest !== digest) {
    throw new DigestMismatchError(
      `push ${ref}: the manifest strata builds is ${digest}, not ${parsed.digest}`,
    );
  }
  const client = await RegistryClient.create(parsed.domain, opts);
  const repo = parsed.path;
  const blobs: { desc: Descriptor; open: () => AsyncIterable<Uint8Array> }[] = [
    {
      desc: config,
      open: async function* () {
        yield stored.configBytes;
      },
    },
    ...layers.map((l, i) => ({ desc: manifest.layers[i], open: () => l.open() })),
  ];
  await boundedMap(blobs, opts.concurrency ?? 3, async ({ desc, open }) => {
    const report = (status: 'uploading' | UploadResult, done: number) =>
      opts.onProgress?.({ type: 'blob', digest: desc.digest, status, done, total: desc.size });
    const result = await uploadBlob(client, repo, desc, open, {
      ...(opts.mountFrom !== undefined ? { mountFrom: opts.mountFrom } : {}),
      ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
      onProgress: (n) => report('uploading', n),
    });
    report(result, desc.size);
  });
  await client.putManifest(repo, parsed.tag ?? digest, types.manifest, bytes);
  const name = `${repositoryName(parsed)}${parsed.tag !== undefined ? `:${parsed.tag}` : ''}@${digest}`;
  opts.onProgress?.({ type: 'done', ref: name, manifest: digest });
  return { manifest: { mediaType: types.manifest, digest, size: bytes.length }, ref: name };
}
