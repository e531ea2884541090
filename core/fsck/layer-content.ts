/**
 * Does a layer's diff dir still hold what its layer.json says? Re-tarring the dir with the
 * deterministic writer must give the recorded diffID. Two cases need more than one pass:
 *
 * - Layers built with SOURCE_DATE_EPOCH: mtimes were clamped in the tar, not on disk, and
 *   the epoch is not stored in layer.json. The caller passes candidate epochs (from the
 *   `created` times of cache records and image configs that use the layer); one of them
 *   must reproduce the diffID.
 * - Loaded plain tars have a tar-split index (import-layers.ts): replayed over the diff dir
 *   it must give the diffID, byte for byte.
 * - Loaded foreign tars of older stores, and compressed ones: the dir may not reproduce the
 *   original bytes, so the original blob was kept (import-layers.ts). Then the blob must decompress to the
 *   diffID, and applying it into a scratch dir must give a tree that tars exactly like the
 *   diff dir (the same canonical form on both sides, mtimes aside: see sameAsBlob).
 */

import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LayerRecord } from '../../store/layer-record.js';
import type { Store } from '../../store/store.js';
import { applyLayer } from '../diff/apply-layer.js';
import { decompressed } from '../diff/decompressed.js';
import { writeStoredLayerTar } from '../diff/stored-layer-tar.js';
import { writeLayerTar } from '../diff/write-layer-tar.js';
import { sha256Stream } from '../export/sha256-stream.js';
import type { Digest } from '../oci/digest.js';

export type DiffVerdict = { ok: true } | { ok: false; detail: string };

/**
 * Checks `rec`'s diff dir. `epochs` are SOURCE_DATE_EPOCH candidates (seconds); `blobs` are
 * the recorded compressed forms already found healthy. Never throws for damage: an
 * unreadable dir is a verdict, not an exception.
 */
export async function verifyDiffDir(
  store: Store,
  rec: LayerRecord,
  epochs: readonly number[],
  blobs: readonly LayerRecord['compressed'][number][],
): Promise<DiffVerdict> {
  const dir = store.diffPath(rec.chainId);
  if (rec.tarSplit !== undefined) {
    // A loaded tar: its index replayed over the diff dir must give the very bytes loaded.
    try {
      const r = await writeStoredLayerTar(store, rec, null);
      if (r.diffId === rec.diffId && r.size === rec.size) return { ok: true };
      return {
        ok: false,
        detail: `diff dir with its tar-split index gives ${r.diffId}, expected ${rec.diffId}`,
      };
    } catch (err) {
      return { ok: false, detail: `diff dir with its tar-split index: ${(err as Error).message}` };
    }
  }
  let plain: string;
  try {
    const r = await writeLayerTar(dir, null);
    if (r.diffId === rec.diffId) return { ok: true };
    plain = `${r.diffId} (${r.size} bytes)`;
    for (const sourceDateEpoch of epochs) {
      if ((await writeLayerTar(dir, null, { sourceDateEpoch })).diffId === rec.diffId) return { ok: true };
    }
  } catch (err) {
    return { ok: false, detail: `diff dir cannot be read: ${(err as Error).message}` };
  }
  const tried = epochs.length > 0 ? ` (also tried SOURCE_DATE_EPOCH ${epochs.join(', ')})` : '';
  let detail = `diff dir tars to ${plain}, expected ${rec.diffId}${tried}`;
  for (const c of blobs) {
    const verdict = await sameAsBlob(store, rec, c.digest);
    if (verdict?.ok) return verdict;
    if (verdict !== undefined) detail += `; ${verdict.detail}`;
  }
  return { ok: false, detail };
}

/** undefined when the blob is not this layer's tar (it cannot vouch either way). */
async function sameAsBlob(store: Store, rec: LayerRecord, blob: Digest): Promise<DiffVerdict | undefined> {
  const hash = sha256Stream();
  try {
    for await (const chunk of decompressed(store.openBlob(blob))) hash.update(chunk);
  } catch {
    return undefined; // not a readable tar stream: the blob checks report it if it is damaged
  }
  if (hash.result().digest !== rec.diffId) return undefined;
  const scratch = await store.makeStagingDir();
  try {
    await applyLayer(scratch, store.openBlob(blob));
    // mtimes are left out of this comparison (both sides clamped to 0): directories the tar
    // implies without listing get the time of extraction, which differs between the two.
    const want = await writeLayerTar(scratch, null, { sourceDateEpoch: 0 });
    const have = await writeLayerTar(store.diffPath(rec.chainId), null, { sourceDateEpoch: 0 });
    if (want.diffId === have.diffId) return { ok: true };
    return { ok: false, detail: `it also differs from what blob ${blob} unpacks to` };
  } catch (err) {
    return { ok: false, detail: `comparing it with blob ${blob} failed: ${(err as Error).message}` };
  } finally {
    await rm(dirname(scratch), { recursive: true, force: true });
  }
}
