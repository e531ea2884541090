/**
 * An image in the store as an ImageSource. Each layer is read as the tar it stands for: a
 * compressed blob the store already holds (an imported layer may keep its original one), else
 * the layer tar written from its diff dir on the fly (a loaded layer's tar-split index
 * replayed, or write-layer-tar.ts: the one place that turns overlay whiteouts, opaque
 * xattrs and shared inodes into `.wh.` names and hardlink entries). Either way the one TarReader parses it and the result must be the diffID, so a
 * store image and its `docker save` tar read exactly alike.
 */
import { PassThrough } from 'node:stream';
import type { LayerRecord } from '../../store/layer-record.js';
import type { Store } from '../../store/store.js';
import { writeStoredLayerTar } from '../diff/stored-layer-tar.js';
import { findImage } from '../inspect/image-view.js';
import { chainIds, type Digest } from '../oci/digest.js';
import { NotFoundError } from '../oci/errors.js';
import type { ImageSource, SourceLayer } from './image-source.js';
import { tarEntries } from './tar-entries.js';

/** `platform`: which image of a multi-platform name (findImage's rule). */
export async function openStoreSource(store: Store, name: string, platform?: string): Promise<ImageSource> {
  const img = await findImage(store, name, platform);
  const chain = chainIds(img.config.rootfs.diff_ids);
  const layers: (SourceLayer & { record: LayerRecord | undefined })[] = [];
  for (const [i, c] of chain.entries()) {
    const rec = await store.getLayer(c);
    let blob: { digest: Digest } | undefined;
    for (const b of rec?.compressed ?? []) if (!blob && (await store.hasBlob(b.digest))) blob = b;
    layers.push({
      diffId: img.config.rootfs.diff_ids[i],
      blobDigest: blob?.digest,
      size: rec?.size,
      record: rec,
    });
  }
  return {
    name,
    kind: 'store',
    id: img.id,
    config: img.config,
    layers,
    entries(i) {
      const l = layers[i];
      const what = `${name} layer ${i + 1}`;
      if (l.record === undefined)
        throw new NotFoundError(`read ${what}: layer ${chain[i]} is not in the store`);
      if (l.blobDigest !== undefined) return tarEntries(store.openBlob(l.blobDigest), l.diffId, what);
      const pipe = new PassThrough({ highWaterMark: 1 << 20 });
      writeStoredLayerTar(store, l.record, pipe).catch((err) => pipe.destroy(err));
      // A loaded layer's tar-split gives back its exact bytes: checked against the diffID.
      // Any other diff dir is the store's own rendering: its tar may differ from the diffID
      // only in clamped mtimes (SOURCE_DATE_EPOCH), which no view here shows.
      return tarEntries(pipe, l.record.tarSplit ? l.diffId : undefined, what);
    },
    close: async () => {},
  };
}
