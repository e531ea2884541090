/**
 * pushImage: a stored image to a registry (formats.md 5.1 push order). A layer that has a
 * blob already gets its gzip blob through core/export's resolveLayerBlobs (reusing the one a
 * pull or an earlier export recorded) and is uploaded unless the registry has it; a layer
 * with no blob yet is compressed (and recorded) while the same bytes stream to the registry,
 * so gzip and upload overlap and the blob is read once. Config and layers go up at most
 * `concurrency` at once; the manifest, whose layer digests are known only then, is PUT last. One media
 * type family throughout (formats.md 5.5): Docker schema2 by default, which every registry
 * and Docker 20.10 accept, or OCI.
 */
import type { CompressedLayer, LayerRecord, Store } from '../../store/index.js';
import { ensureCompressedBlob } from '../diff/ensure-compressed-blob.js';
import { storeManifest } from '../export/build-manifest.js';
import { resolveLayerBlobs } from '../export/layer-blob.js';
import { readImage } from '../image/read-image.js';
import { type ParsedRef, parseRef, repositoryName } from '../image/reference.js';
import type { Digest } from '../oci/digest.js';
import { DigestMismatchError } from '../oci/errors.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/types.js';
import { type UploadResult, uploadBlob } from './blob-upload.js';
import { boundedMap } from './bounded-map.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { StreamingUpload } from './streaming-upload.js';

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
  /** PUT the manifest under its digest only, leaving the tag alone (an index's entries). */
  untagged?: boolean;
}

export interface PushResult {
  /** With the image's platform (from its config), as an index entry names it. */
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
  const epoch = opts.sourceDateEpoch !== undefined ? { sourceDateEpoch: opts.sourceDateEpoch } : {};
  const config: Descriptor = {
    mediaType: types.config,
    digest: stored.configDigest,
    size: stored.configBytes.length,
  };
  const client = await RegistryClient.create(parsed.domain, opts);
  const repo = parsed.path;
  const report = (digest: Digest, total: number, status: 'uploading' | UploadResult, done: number) =>
    opts.onProgress?.({ type: 'blob', digest, status, done, total });
  const upload = async (desc: Descriptor, open: () => AsyncIterable<Uint8Array>) => {
    const result = await uploadBlob(client, repo, desc, open, {
      ...(opts.mountFrom !== undefined ? { mountFrom: opts.mountFrom } : {}),
      ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
      onProgress: (n) => report(desc.digest, desc.size, 'uploading', n),
    });
    report(desc.digest, desc.size, result, desc.size);
  };
  // A layer with no blob at all yet (a fresh build) is compressed and uploaded in one pass;
  // any other goes the ordinary way: resolve its blob (reuse, or gzip of a kept tar), HEAD,
  // upload from the store.
  const fresh = await Promise.all(stored.layers.map((r) => hasNoBlob(store, r)));
  const kept = stored.layers.filter((_, i) => !fresh[i]);
  const resolved = await resolveLayerBlobs(store, kept, 'gzip', epoch);
  const tasks: (() => Promise<Descriptor>)[] = [
    async () => {
      await upload(config, async function* () {
        yield stored.configBytes;
      });
      return config;
    },
    ...stored.layers.map((record, i) => async () => {
      if (fresh[i]) {
        const c = await compressWhileUploading(store, client, repo, record, epoch);
        report(c.digest, c.size, c.result, c.size);
        return { mediaType: types.layer, digest: c.digest, size: c.size };
      }
      const l = resolved[kept.indexOf(record)];
      const desc = { mediaType: types.layer, digest: l.descriptor.digest, size: l.descriptor.size };
      await upload(desc, () => l.open());
      return desc;
    }),
  ];
  const [, ...layerDescs] = await boundedMap(tasks, opts.concurrency ?? 3, (task) => task());
  const { bytes, digest } = await storeManifest(store, types.manifest, config, layerDescs);
  if (parsed.digest !== undefined && parsed.digest !== digest) {
    throw new DigestMismatchError(
      `push ${ref}: the manifest strata builds is ${digest}, not ${parsed.digest}`,
    );
  }
  await client.putManifest(repo, (opts.untagged ? undefined : parsed.tag) ?? digest, types.manifest, bytes);
  const name = `${repositoryName(parsed)}${parsed.tag !== undefined ? `:${parsed.tag}` : ''}@${digest}`;
  opts.onProgress?.({ type: 'done', ref: name, manifest: digest });
  const platform = {
    architecture: stored.config.architecture,
    os: stored.config.os,
    ...(stored.config.variant ? { variant: stored.config.variant } : {}),
  };
  return { manifest: { mediaType: types.manifest, digest, size: bytes.length, platform }, ref: name };
}

async function hasNoBlob(store: Store, record: LayerRecord): Promise<boolean> {
  for (const c of record.compressed) if (await store.hasBlob(c.digest)) return false;
  return true;
}

/**
 * Compresses `record` into the store (remembered in layer.json, so the next push reuses it)
 * while the same bytes stream to the registry as PATCH chunks; the closing PUT names the
 * digest the compression produced. If the stream upload failed anywhere, the stored blob
 * is uploaded the ordinary way (HEAD, POST, retries) instead. A diffID mismatch aborts both.
 */
async function compressWhileUploading(
  store: Store,
  client: RegistryClient,
  repo: string,
  record: LayerRecord,
  epoch: { sourceDateEpoch?: number },
): Promise<{ digest: Digest; size: number; result: UploadResult }> {
  const up = new StreamingUpload(client, repo);
  let c: CompressedLayer;
  try {
    c = await ensureCompressedBlob(store, record, { ...epoch, onCompressed: (chunk) => up.write(chunk) });
  } catch (err) {
    await up.abort();
    throw err;
  }
  if (await up.finish(c.digest, c.size)) return { digest: c.digest, size: c.size, result: 'uploaded' };
  await up.abort();
  const desc = { mediaType: c.mediaType, digest: c.digest, size: c.size };
  const result = await uploadBlob(client, repo, desc, () => store.openBlob(c.digest));
  return { digest: c.digest, size: c.size, result };
}

/**
 * pushImageIndex: the images of a multi-platform build to one tag: each image pushed as
 * above under its manifest digest, then one index over them (a Docker manifest list in the
 * docker family, an OCI index in the oci family, formats.md 5.5) PUT at the tag, as
 * `docker buildx build --platform a,b --push` leaves it.
 */
export async function pushImageIndex(
  store: Store,
  images: Digest[],
  ref: string,
  opts: PushOptions = {},
): Promise<PushResult> {
  const parsed: ParsedRef = parseRef(ref);
  const manifests: Descriptor[] = [];
  for (const config of images) {
    manifests.push((await pushImage(store, { config }, ref, { ...opts, untagged: true })).manifest);
  }
  const mediaType = opts.format === 'oci' ? MediaType.ociIndex : MediaType.dockerManifestList;
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests }), 'utf8');
  const { digest } = await store.putBlob(bytes);
  if (parsed.digest !== undefined && parsed.digest !== digest)
    throw new DigestMismatchError(`push ${ref}: the index strata builds is ${digest}, not ${parsed.digest}`);
  const client = await RegistryClient.create(parsed.domain, opts);
  await client.putManifest(parsed.path, parsed.tag ?? digest, mediaType, bytes);
  const name = `${repositoryName(parsed)}${parsed.tag !== undefined ? `:${parsed.tag}` : ''}@${digest}`;
  opts.onProgress?.({ type: 'done', ref: name, manifest: digest });
  return { manifest: { mediaType, digest, size: bytes.length }, ref: name };
}
