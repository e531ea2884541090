/**
 * The changes in one layer tar, read with the validating TarReader (bounded, decompressing
 * by magic): each regular file's bytes are hashed as they pass (for duplicate detection),
 * and at the end the whole tar must hash to the diffID the image config names.
 */

import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { decompressed } from '../diff/decompressed.js';
import { TarReader } from '../diff/tar-reader.js';
import type { Digest } from '../oci/digest.js';
import { DigestMismatchError } from '../oci/errors.js';
import { LAYER_LIMITS } from './image-source.js';
import { entryFromTar, type LayerEntry } from './layer-entry.js';

/** `diffId` undefined: the tar is the store's own rendering of a diff dir, nothing to check. */
export async function* tarEntries(
  src: Readable,
  diffId: Digest | undefined,
  what: string,
): AsyncGenerator<LayerEntry> {
  const reader = new TarReader(decompressed(src), LAYER_LIMITS);
  try {
    for (let e = await reader.next(); e !== null; e = await reader.next()) {
      let digest: string | undefined;
      if (e.type === 'file') {
        const h = createHash('sha256');
        for await (const chunk of reader.body()) h.update(chunk);
        digest = h.digest('hex');
      }
      const entry = entryFromTar(e, digest);
      if (entry !== undefined && entry.path !== '') yield entry;
      else if (entry?.kind === 'opaque') yield entry;
    }
    const { digest } = await reader.finish();
    if (diffId !== undefined && digest !== diffId)
      throw new DigestMismatchError(
        `read ${what}: uncompressed content is ${digest}, the image config says ${diffId}`,
      );
  } finally {
    src.destroy();
  }
}
