/**
 * exportArchive: one image (or the images of several platforms, as an OCI index) as one tar that both `docker load` (20.10 and 25+) and OCI tools
 * read: an OCI image layout, plus `manifest.json` and `repositories` for the docker format
 * (formats.md 4.5; what Docker 25's own `docker save` writes).
 */
import type { Writable } from 'node:stream';
import type { Store } from '../../store/index.js';
import type { Digest } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import { type ArchiveEntry, writeArchive } from './archive-writer.js';
import { buildImageIndex } from './build-image-index.js';
import { type BuiltManifest, buildManifest } from './build-manifest.js';
import type { LayerCompression } from './layer-blob.js';
import {
  blobPath,
  dockerManifest,
  dockerRepositories,
  indexDescriptors,
  makeIndex,
  OCI_LAYOUT,
} from './layout-entries.js';

export interface ExportArchiveOptions {
  /** docker: layout + manifest.json + repositories, layers uncompressed by default (like
   * `docker save`); oci: layout only, gzip layers by default. */
  format: 'docker' | 'oci';
  /** Names for index.json and RepoTags; normalised (`busybox` -> docker.io/library/busybox:latest). */
  tags: string[];
  compression?: LayerCompression;
  /** The SOURCE_DATE_EPOCH the layers were built with, if any. */
  sourceDateEpoch?: number;
}

/**
 * Writes the archive to `out` (not ended: the caller owns it). The tar is deterministic:
 * sorted entries, fixed mtimes and owners, so the same image and options give the same
 * bytes. Layer bytes are verified as they stream (DigestMismatchError fails the export;
 * `out` then holds a truncated tar the caller should discard).
 */
export async function exportArchive(
  store: Store,
  image: ExportedImage,
  out: Writable,
  opts: ExportArchiveOptions,
): Promise<void> {
  const compression = opts.compression ?? (opts.format === 'docker' ? 'none' : 'gzip');
  const epoch = { sourceDateEpoch: opts.sourceDateEpoch };
  const json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');
  if (image.platforms !== undefined && image.platforms.length > 1) {
    if (opts.format === 'docker') throw new InvalidInputError(DOCKER_ONE_PLATFORM);
    // index.json -> the image index -> one manifest per platform, as buildx writes it.
    const idx = await buildImageIndex(store, image.platforms, compression, epoch);
    const entries: ArchiveEntry[] = [
      { name: 'oci-layout', data: Buffer.from(OCI_LAYOUT), mode: 0o444 },
      { name: 'index.json', data: json(makeIndex(indexDescriptors(idx, opts.tags))) },
      { name: blobPath(idx.manifestDescriptor.digest), data: idx.indexBytes, mode: 0o444 },
    ];
    const names = new Set<string>();
    for (const built of idx.manifests) entries.push(...imageEntries(built, names));
    await writeArchive(entries, out);
    return;
  }
  const built = await buildManifest(store, image, compression, epoch);
  const entries: ArchiveEntry[] = [
    { name: 'oci-layout', data: Buffer.from(OCI_LAYOUT), mode: 0o444 },
    { name: 'index.json', data: json(makeIndex(indexDescriptors(built, opts.tags))) },
    ...imageEntries(built, new Set()),
  ];
  if (opts.format === 'docker') {
    entries.push({ name: 'manifest.json', data: json(dockerManifest(built, opts.tags)) });
    const repos = dockerRepositories(built, opts.tags);
    if (repos !== undefined) entries.push({ name: 'repositories', data: Buffer.from(repos) });
  }
  await writeArchive(entries, out);
}

/**
 * What an image to export is: one image, or (`platforms`, two or more) the image of each
 * platform of a multi-platform build, exported as an image index.
 */
export interface ExportedImage {
  config: Digest;
  platforms?: Digest[];
}

/**
 * Why a docker archive holds one platform: Docker 20.10's `docker load` reads manifest.json,
 * one image per tag, and has no index of platforms (Docker 25+ with the containerd store
 * loads an OCI index, not a docker-archive of several).
 */
export const DOCKER_ONE_PLATFORM =
  'export docker: a docker archive holds one platform (Docker 20.10 loads one image per tag, it has no index of platforms); ' +
  'choose one with --output type=docker,dest=FILE,platform=linux/arm64, or export all of them as an OCI index with --output type=oci (or push)';

/** The manifest, config and layer blobs of one image; `names` skips blobs already listed. */
function imageEntries(built: BuiltManifest, names: Set<string>): ArchiveEntry[] {
  const out: ArchiveEntry[] = [];
  const add = (e: ArchiveEntry) => {
    if (names.has(e.name)) return;
    names.add(e.name);
    out.push(e);
  };
  add({ name: blobPath(built.manifestDescriptor.digest), data: built.manifestBytes, mode: 0o444 });
  add({ name: blobPath(built.configDescriptor.digest), data: built.image.configBytes, mode: 0o444 });
  for (const layer of built.layers) {
    add({
      name: blobPath(layer.descriptor.digest),
      size: layer.descriptor.size,
      open: async () => layer.open(),
      mode: 0o444,
    });
  }
  return out;
}
