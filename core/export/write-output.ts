/**
 * writeOutput: `strata build --output type=...,dest=...` for one image: the archive formats
 * go to a file (written to a fresh temp file beside it and renamed, so a failed export leaves
 * no half file and nothing planted at the destination is written through).
 */
import { lstat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { Store } from '../../store/index.js';
import { replaceFile } from '../fs/exclusive-file.js';
import { InvalidInputError } from '../oci/errors.js';
import { type ExportedImage, exportArchive } from './export-archive.js';
import { exportOciDir } from './export-oci-dir.js';
import { exportRootfs } from './export-rootfs.js';

export interface OutputTarget {
  type: 'docker' | 'oci' | 'oci-dir' | 'local';
  dest: string;
}

/** Bytes written so far to an archive output; `done` once, at the end, with the total. */
export type OnArchiveBytes = (written: number, done: boolean) => void;

export async function writeOutput(
  store: Store,
  image: ExportedImage,
  output: OutputTarget,
  tags: string[],
  onBytes?: OnArchiveBytes,
): Promise<void> {
  switch (output.type) {
    case 'docker':
    case 'oci':
      return writeArchiveFile(store, image, output.dest, { format: output.type, tags }, onBytes);
    case 'oci-dir':
      return exportOciDir(store, image, output.dest, { tags });
    case 'local':
      if (image.platforms !== undefined && image.platforms.length > 1)
        throw new InvalidInputError(
          'export local: one directory holds one platform; choose it with --output type=local,dest=DIR,platform=linux/arm64',
        );
      return exportRootfs(store, image, output.dest);
  }
}

/** exportArchive into `file`, atomically replaced (core/fs/exclusive-file.ts). */
export async function writeArchiveFile(
  store: Store,
  image: ExportedImage,
  file: string,
  opts: Parameters<typeof exportArchive>[3],
  onBytes?: OnArchiveBytes,
): Promise<void> {
  // Only to fail before the export rather than after it; the rename is what guarantees a
  // directory is never replaced (replaceFile reports that case with the same error class).
  if ((await lstat(file).catch(() => undefined))?.isDirectory())
    throw new InvalidInputError(
      `export ${opts.format}: ${file} is a directory; dest= names the archive file`,
    );
  await replaceFile(file, async (fh) => {
    // The stream closes the handle (a FileHandle with a live stream on it cannot be closed
    // by anyone else: close() waits for the stream); replaceFile's close is then a no-op.
    const out = fh.createWriteStream();
    if (onBytes === undefined) {
      try {
        await exportArchive(store, image, out, opts);
        out.end();
        await finished(out);
      } catch (err) {
        out.destroy();
        throw err;
      }
      return;
    }
    // Counted on the way to the file: what progress shows is what was handed to the disk.
    let written = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        written += chunk.length;
        onBytes(written, false);
        cb(null, chunk);
      },
    });
    const piped = pipeline(counter, out);
    try {
      await exportArchive(store, image, counter, opts);
      counter.end();
      await piped;
    } catch (err) {
      counter.destroy(err as Error);
      await piped.catch(() => {});
      throw err;
    }
    onBytes(written, true);
  });
}
