/**
 * writeStoredLayerTar: the tar a layer of the store stands for, made from its diff dir. A
 * layer loaded from outside has a tar-split index and gets its original bytes back
 * (tar-split.ts); any other is written by writeLayerTar, the deterministic writer.
 */
import type { Writable } from 'node:stream';
import type { LayerRecord } from '../../store/layer-record.js';
import type { Store } from '../../store/store.js';
import type { Digest } from '../oci/digest.js';
import { replayTarSplit } from './tar-split.js';
import { type WriteLayerTarOptions, writeLayerTar } from './write-layer-tar.js';

/**
 * Writes `layer`'s tar to `out` (ended on success; null only hashes) and returns what it
 * hashed to; the caller compares that with the recorded diffID. `sourceDateEpoch` applies
 * to the deterministic writer only: a loaded tar is given back as it was.
 */
export async function writeStoredLayerTar(
  store: Store,
  layer: LayerRecord,
  out: Writable | null,
  opts: WriteLayerTarOptions = {},
): Promise<{ diffId: Digest; size: number }> {
  const diff = store.diffPath(layer.chainId);
  if (layer.tarSplit === undefined) return writeLayerTar(diff, out, opts);
  return replayTarSplit(diff, store.tarSplitPath(layer.chainId), layer.tarSplit, out, {
    size: layer.size,
    what: layer.chainId,
  });
}
