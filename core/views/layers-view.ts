/**
 * `strata layers IMAGE`: every layer of an image as the store keeps it, bottom first: the
 * instruction that made it, its three names (diffID, blob digest, chainID), size, and the
 * `diff` dir and `lower` chain a reader can `ls`, as one does under overlay2.
 */

import type { Store } from '../../store/store.js';
import type { BuildReport } from '../exec/build-report.js';
import type { StoredImage } from '../inspect/image-view.js';
import type { Digest } from '../oci/digest.js';
import { chainIds } from '../oci/digest.js';

export interface LayerRow {
  /** 0 = the bottom layer. */
  index: number;
  /** The instruction that made the layer, or `undefined` when neither source knows. */
  instruction?: string;
  /** Where `instruction` came from: this store's build report, or the image's history. */
  instructionSource?: 'build' | 'history';
  diffId: Digest;
  chainId: Digest;
  /** The first compressed blob made so far; undefined until export or push compresses it. */
  blobDigest?: Digest;
  compressed: { digest: Digest; size: number; mediaType: string }[];
  /** Uncompressed tar size, when the layer is in the store. */
  size?: number;
  /** False when the store has no record of this layer (a damaged or half-pruned store). */
  present: boolean;
  layerPath: string;
  diffPath: string;
  /** A loaded tar's tar-split index (what gives its exact bytes back from diffPath). */
  tarSplitPath?: string;
  /** Ancestor chainIDs, nearest first: the layer's `lower` file. */
  lower: Digest[];
  /** The ancestors' diff dirs, nearest first (what an overlay mount would stack). */
  lowerDiffPaths: string[];
}

/** History entries that made a layer, in order (history also lists empty ones). */
function historyInstructions(img: StoredImage): string[] {
  return (img.config.history ?? []).filter((h) => h.empty_layer !== true).map((h) => h.created_by ?? '');
}

export async function layerRows(store: Store, img: StoredImage, report?: BuildReport): Promise<LayerRow[]> {
  const diffIds = img.config.rootfs.diff_ids;
  const chain = chainIds(diffIds);
  const fromHistory = historyInstructions(img);
  // A layer-making step of the report names its layer by chainID; the first one wins
  // (a later step with the same chainID changed nothing on disk).
  const fromBuild = new Map<Digest, string>();
  for (const s of report?.steps ?? [])
    if (s.chainId && !fromBuild.has(s.chainId)) fromBuild.set(s.chainId, s.instruction);
  const rows: LayerRow[] = [];
  for (const [i, chainId] of chain.entries()) {
    const rec = await store.getLayer(chainId);
    const lower = rec ? await store.lowerChain(chainId) : [];
    const built = fromBuild.get(chainId);
    const hist = fromHistory[i];
    rows.push({
      index: i,
      instruction: built ?? (hist || undefined),
      instructionSource: built ? 'build' : hist ? 'history' : undefined,
      diffId: diffIds[i],
      chainId,
      blobDigest: rec?.compressed[0]?.digest,
      compressed: rec?.compressed ?? [],
      size: rec?.size,
      present: rec !== undefined,
      layerPath: store.layerPath(chainId),
      diffPath: store.diffPath(chainId),
      ...(rec?.tarSplit ? { tarSplitPath: store.tarSplitPath(chainId) } : {}),
      lower,
      lowerDiffPaths: lower.map((c) => store.diffPath(c)),
    });
  }
  return rows;
}
