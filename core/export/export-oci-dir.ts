/**
 * exportOciDir (`--output type=oci-dir`): the image (or a multi-platform index) written into an OCI image layout
 * directory, the form `skopeo copy oci:DIR` and `umoci` read. An existing layout is added to:
 * blobs already present are kept, index.json entries with one of our names are replaced.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../../store/index.js';
import { DirHandle, NotADirectoryHere } from '../fs/dir-handle.js';
import { putFileOnce, replaceFileWith } from '../fs/exclusive-file.js';
import { readFileBounded } from '../fs/read-bounded.js';
import { type Digest, digestHex } from '../oci/digest.js';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';
import type { Descriptor, Index } from '../oci/types.js';
import { buildImageIndex } from './build-image-index.js';
import { buildManifest } from './build-manifest.js';
import type { ExportedImage } from './export-archive.js';
import type { LayerCompression } from './layer-blob.js';
import {
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
 * fresh temp name and renamed (core/fs/exclusive-file.ts), so a crash never leaves a partial
 * blob under its digest and nothing planted in the layout is written through; `blobs/sha256`
 * is entered without following symlinks. index.json is replaced last, so readers see either
 * the old or the new set of images.
 */
export async function exportOciDir(
  store: Store,
  image: ExportedImage,
  dir: string,
  opts: ExportOciDirOptions,
): Promise<void> {
  const compression = opts.compression ?? 'gzip';
  const epoch = { sourceDateEpoch: opts.sourceDateEpoch };
  // Several platforms: index.json names an image index that names one manifest per platform.
  const multi =
    image.platforms !== undefined && image.platforms.length > 1
      ? await buildImageIndex(store, image.platforms, compression, epoch)
      : undefined;
  const images = multi?.manifests ?? [await buildManifest(store, image, compression, epoch)];
  const indexed = multi ?? images[0];
  const top = await DirHandle.openNamed(dir);
  try {
    const blobs = await top.descend('blobs/sha256').catch((err) => {
      if (err instanceof NotADirectoryHere)
        throw new InvalidInputError(`export oci dir: ${err.message} is not a directory`, { cause: err });
      throw err;
    });
    try {
      const existing = await readIndex(top);
      await replaceFileWith(top.path('oci-layout'), OCI_LAYOUT);
      const putBlob = (digest: Digest, open: () => Readable) =>
        // The sources verify themselves (store reads and layer tars fail at their end on a
        // mismatch), so a blob that reaches the rename has the bytes its name promises.
        putFileOnce(blobs.path(digestHex(digest)), (fh) => pipeline(open(), fh.createWriteStream()), {
          mode: 0o444,
        });
      for (const built of images) {
        await putBlob(built.configDescriptor.digest, () => Readable.from([built.image.configBytes]));
        for (const layer of built.layers) {
          await putBlob(layer.descriptor.digest, () => Readable.from(layer.open()));
        }
        await putBlob(built.manifestDescriptor.digest, () => Readable.from([built.manifestBytes]));
      }
      if (multi) await putBlob(multi.manifestDescriptor.digest, () => Readable.from([multi.indexBytes]));
      const ours = indexDescriptors(indexed, opts.tags);
      const names = new Set(ours.flatMap((d) => nameKeys(d)));
      const kept = existing.manifests.filter((d) => !nameKeys(d).some((k) => names.has(k)));
      await replaceFileWith(
        top.path('index.json'),
        JSON.stringify({ ...existing, ...makeIndex([...kept, ...ours]) }),
      );
    } finally {
      await blobs.close();
    }
  } finally {
    await top.close();
  }
}

function nameKeys(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  const full = a[IMAGE_NAME_ANNOTATION];
  if (full !== undefined) return [`full:${full}`, `ref:${a[REF_NAME_ANNOTATION] ?? ''}`];
  return a[REF_NAME_ANNOTATION] !== undefined ? [`ref:${a[REF_NAME_ANNOTATION]}`] : [];
}

/** index.json may be large for a layout many images share, but not without bound. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/** The layout's index.json (an empty index when absent), read no-follow and bounded. */
async function readIndex(top: DirHandle): Promise<Index> {
  const shown = `${top.shown}/index.json`;
  let text: string;
  try {
    text = (await readFileBounded(top.path('index.json'), MAX_INDEX_BYTES, shown)).toString('utf8');
  } catch (err) {
    if (err instanceof NotFoundError) return makeIndex([]);
    throw err;
  }
  try {
    const idx = JSON.parse(text) as Index;
    if (!Array.isArray(idx.manifests)) throw new Error('no manifests list');
    return idx;
  } catch (err) {
    throw new InvalidInputError(`export oci dir: ${shown} is not an image index`, {
      cause: err,
    });
  }
}
