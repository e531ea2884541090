/**
 * writeOutput: `strata build --output type=...,dest=...` for one image: the archive formats
 * go to a file (written beside it and renamed, so a failed export leaves no half file).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { Store } from '../../store/index.js';
import type { Digest } from '../oci/digest.js';
import { exportArchive } from './export-archive.js';
import { exportOciDir } from './export-oci-dir.js';
import { exportRootfs } from './export-rootfs.js';

export interface OutputTarget {
  type: 'docker' | 'oci' | 'oci-dir' | 'local';
  dest: string;
}

export async function writeOutput(
  store: Store,
  image: { config: Digest },
  output: OutputTarget,
  tags: string[],
): Promise<void> {
  switch (output.type) {
    case 'docker':
    case 'oci':
      return writeArchiveFile(store, image, output.dest, { format: output.type, tags });
    case 'oci-dir':
      return exportOciDir(store, image, output.dest, { tags });
    case 'local':
      return exportRootfs(store, image, output.dest);
  }
}

/** exportArchive into `file`, atomically replaced. */
export async function writeArchiveFile(
  store: Store,
  image: { config: Digest },
  file: string,
  opts: Parameters<typeof exportArchive>[3],
): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const out = createWriteStream(tmp, { mode: 0o644 });
  try {
    await exportArchive(store, image, out, opts);
    out.end();
    await finished(out);
    await rename(tmp, file);
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}
