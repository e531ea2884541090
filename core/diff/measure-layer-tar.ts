/**
 * measureLayerTar: the diffID of a diff dir, copying unchanged entries from a kept tar of
 * an earlier layer, and optionally keeping this layer's tar as a blob (digest = diffID).
 *
 * Why keep a tar: a COPY rebuilt after a one-file change hard-links every unchanged file
 * from its previous layer. Those files' tar entries are byte-identical in the tar that was
 * written from the same inodes, and one sequential read of it (~10 ms for 46 MB) replaces
 * a stat, an open/read/close and a header encode per file (~300 ms for 10,000 files). The
 * price is the tar on disk next to the diff dir, so callers keep one only for many small
 * files, and write a new one only when too few files still come from the kept one.
 *
 * The blob is ordinary content: named by its sha256, unreferenced (gc removes it; a later
 * rebuild then writes its tar from the files).
 */
import type { Store } from '../../store/store.js';
import type { Digest } from '../oci/digest.js';
import { EarlierTar, EarlierTarUnusable } from './earlier-tar.js';
import type { SameFiles } from './same-files.js';
import { type LayerTarResult, writeLayerTar } from './write-layer-tar.js';

export interface MeasureLayerTarOptions {
  /** A kept tar (blob digest = that layer's diffID) to copy entries from, if present. */
  earlier?: Digest;
  /** Regular files in `dir` that are inodes `earlier` was written from (sameFiles). */
  same?: SameFiles;
  /** Also store this layer's tar as blob `diffId`. */
  keep: boolean;
}

export interface MeasureLayerTarResult extends LayerTarResult {
  /** Entries whose bytes came from the earlier tar. */
  copied: number;
}

/**
 * Measures `dir` (no SOURCE_DATE_EPOCH: the diff dir must already be clamped). With `keep`,
 * success means the blob is present and its digest is the returned diffID. Without the
 * earlier blob (or when it holds hard links) the tar is written from the files alone; the
 * bytes are the same either way.
 */
export async function measureLayerTar(
  store: Store,
  dir: string,
  opts: MeasureLayerTarOptions,
): Promise<MeasureLayerTarResult> {
  let tar: EarlierTar | undefined;
  if (opts.earlier && opts.same && opts.same.size > 0 && (await store.hasBlob(opts.earlier)))
    tar = EarlierTar.open(store.blobPath(opts.earlier), { recycle: !opts.keep });
  try {
    return await measureOnce(store, dir, opts.keep, tar, opts.same);
  } catch (err) {
    if (!(err instanceof EarlierTarUnusable)) throw err;
    return measureOnce(store, dir, opts.keep, undefined, undefined);
  } finally {
    tar?.close();
  }
}

async function measureOnce(
  store: Store,
  dir: string,
  keep: boolean,
  tar: EarlierTar | undefined,
  same: SameFiles | undefined,
): Promise<MeasureLayerTarResult> {
  const earlier = tar && same ? { tar, files: same } : undefined;
  if (!keep) return { ...(await writeLayerTar(dir, null, { earlier })), copied: tar?.copied ?? 0 };
  const ingest = await store.ingest();
  try {
    // The ingest hashes what it writes: that digest is the diffID (commit checks nothing
    // more then, and the tar is hashed once).
    const r = await writeLayerTar(dir, ingest.stream, { earlier, hashedBy: ingest });
    await ingest.commit({ digest: r.diffId, size: r.size });
    return { ...r, copied: tar?.copied ?? 0 };
  } catch (err) {
    await ingest.abort().catch(() => {});
    throw err;
  }
}
