/**
 * exportArchive: one image as one tar that both `docker load` (20.10 and 25+) and OCI tools
 * read: an OCI image layout, plus `manifest.json` and `repositories` for the docker format
 * (formats.md 4.5; what Docker 25's own `docker save` writes).
 */
import type { Writable } from 'node:stream';
import type { Store } from '../../store/index.js';
import type { Digest } from '../oci/digest.js';
import { type ArchiveEntry, writeArchive } from './archive-writer.js';
import { buildManifest } from './build-manifest.js';
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
  image: { config: Digest },
  out: Writable,
  opts: ExportArchiveOptions,
): Promise<void> {
  const compression = opts.compression ?? (opts.format === 'docker' ? 'none' : 'gzip');
  const built = await buildManifest(store, image, compression, { sourceDateEpoch: opts.sourceDateEpoch });
  const json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');
  const entries: ArchiveEntry[] = [
    { name: 'oci-layout', data: Buffer.from(OCI_LAYOUT), mode: 0o444 },
    { name: 'index.json', data: json(makeIndex(indexDescriptors(built, opts.tags))) },
    { name: blobPath(built.manifestDescriptor.digest), data: built.manifestBytes, mode: 0o444 },
    { name: blobPath(built.configDescriptor.digest), data: built.image.configBytes, mode: 0o444 },
  ];
  for (const layer of built.layers) {
    entries.push({
      name: blobPath(layer.descriptor.digest),
      size: layer.descriptor.size,
      open: async () => layer.open(),
      mode: 0o444,
    });
  }
  if (opts.format === 'docker') {
    entries.push({ name: 'manifest.json', data: json(dockerManifest(built, opts.tags)) });
    const repos = dockerRepositories(built, opts.tags);
    if (repos !== undefined) entries.push({ name: 'repositories', data: Buffer.from(repos) });
  }
  await writeArchive(entries, out);
}
