/**
 * exportOciDir (`--output type=oci-dir`): the image written into an OCI image layout
 * directory, the form `skopeo copy oci:DIR` and `umoci` read. An existing layout is added to:
 * blobs already present are kept, index.json entries with one of our names are replaced.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../../store/index.js';
import type { Digest } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import type { Descriptor, Index } from '../oci/types.js';
import { buildManifest } from './build-manifest.js';
import type { LayerCompression } from './layer-blob.js';
import {
  blobPath,
  IMAGE_NAME_ANNOTATION,
  indexDescriptors,
  makeIndex,
  OCI_LAYOUT,
  REF_NAME_ANNOTATION,
} from './layout-entries.js';

export interface ExportOciDirOptions {
  tags: string[];
  /** Defaults to gzip, like the oci archive. */
  compression?: LayerCompression;
  /** The SOURCE_DATE_EPOCH the layers were built with, if any. */
  sourceDateEpoch?: number;
}

/**
 * Writes `image` into the layout at `dir` (created if needed). Each blob is written to a
 * temp name and renamed, so a crash never leaves a partial blob under its digest; index.json
 * is replaced last, so readers see either the old or the new set of images.
 */
export async function exportOciDir(
  store: Store,
  image: { config: Digest },
  dir: string,
  opts: ExportOciDirOptions,
): Promise<void> {
  const built = await buildManifest(store, image, opts.compression ?? 'gzip', {
    sourceDateEpoch: opts.sourceDateEpoch,
  });
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const existing = await readIndex(dir);
  await writeAtomic(join(dir, 'oci-layout'), OCI_LAYOUT);
  await putBlob(dir, built.configDescriptor.digest, () => Readable.from([built.image.configBytes]));
  for (const layer of built.layers) {
    await putBlob(dir, layer.descriptor.digest, () => Readable.from(layer.open()));
  }
  await putBlob(dir, built.manifestDescriptor.digest, () => Readable.from([built.manifestBytes]));
  const ours = indexDescriptors(built, opts.tags);
  const names = new Set(ours.flatMap((d) => nameKeys(d)));
  const kept = existing.manifests.filter((d) => !nameKeys(d).some((k) => names.has(k)));
  await writeAtomic(
    join(dir, 'index.json'),
    JSON.stringify({ ...existing, ...makeIndex([...kept, ...ours]) }),
  );
}

function nameKeys(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  const full = a[IMAGE_NAME_ANNOTATION];
  if (full !== undefined) return [`full:${full}`, `ref:${a[REF_NAME_ANNOTATION] ?? ''}`];
  return a[REF_NAME_ANNOTATION] !== undefined ? [`ref:${a[REF_NAME_ANNOTATION]}`] : [];
}

async function readIndex(dir: string): Promise<Index> {
  let text: string;
  try {
    text = await readFile(join(dir, 'index.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return makeIndex([]);
    throw err;
  }
  try {
    const idx = JSON.parse(text) as Index;
    if (!Array.isArray(idx.manifests)) throw new Error('no manifests list');
    return idx;
  } catch (err) {
    throw new InvalidInputError(`export oci dir: ${join(dir, 'index.json')} is not an image index`, {
      cause: err,
    });
  }
}

async function putBlob(dir: string, digest: Digest, open: () => Readable): Promise<void> {
  const target = join(dir, blobPath(digest));
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  )
    return;
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    // The sources verify themselves (store reads and layer tars fail at their end on a
    // mismatch), so a blob that reaches the rename has the bytes its name promises.
    await pipeline(open(), createWriteStream(tmp, { mode: 0o444 }));
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode: 0o644 });
  await rename(tmp, path);
}
