/**
 * `strata graph`'s data: a dry-run build (plan only, nothing runs) turned into a GraphModel,
 * with the size of every layer the plan would reuse read from the store.
 */

import type { Store } from '../../store/store.js';
import type { BuildOptions } from '../exec/build.js';
import { build } from '../exec/build.js';
import type { Digest } from '../oci/digest.js';
import type { Plan } from '../plan/types.js';
import type { GraphModel } from './graph-model.js';
import { graphModel } from './graph-model.js';

/** Sizes (uncompressed) of the layers the plan's hits reuse, by step key. */
export async function hitLayerSizes(store: Store, plan: Plan): Promise<Map<Digest, number>> {
  const sizes = new Map<Digest, number>();
  for (const ps of plan.stages) {
    for (const p of ps.steps) {
      const chainId = p.decision.hit ? p.decision.record.result.chainId : undefined;
      if (!chainId) continue;
      const rec = await store.getLayer(chainId);
      if (rec && p.key) sizes.set(p.key, rec.size);
    }
  }
  return sizes;
}

/** Plans the build (dryRun forced on) and returns the picture's model; warnings go to `o.progress`. */
export async function planGraph(store: Store, o: Omit<BuildOptions, 'dryRun'>): Promise<GraphModel> {
  const { plan } = await build(store, { ...o, dryRun: true });
  return graphModel(plan, await hitLayerSizes(store, plan));
}
