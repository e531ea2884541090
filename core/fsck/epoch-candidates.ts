/**
 * SOURCE_DATE_EPOCH candidates per layer. The epoch a layer was tarred with is not stored in
 * layer.json, but builds that used one stamp it as the `created` time of their cache records
 * and of the image config and history. Reading those (leniently: damage is reported by the
 * real checks, not here) gives a short list of epochs worth trying per chainID.
 */
import type { Store } from '../../store/store.js';
import type { CacheRecord } from '../cache/records.js';
import { chainIds, type Digest } from '../oci/digest.js';
import type { ImageConfig } from '../oci/types.js';

export async function epochCandidates(store: Store): Promise<Map<Digest, Set<number>>> {
  const out = new Map<Digest, Set<number>>();
  const add = (c: Digest | undefined, iso: string | undefined) => {
    if (c === undefined || typeof iso !== 'string') return;
    const t = Date.parse(iso);
    if (!Number.isFinite(t)) return;
    let set = out.get(c);
    if (set === undefined) out.set(c, (set = new Set()));
    set.add(Math.floor(t / 1000));
  };
  const records = await store.listCacheRecords<CacheRecord>().catch(() => [] as CacheRecord[]);
  for (const r of records) add(r.result?.chainId, r.result?.created);
  const refs = await store.listRefs().catch(() => []);
  for (const { target } of refs) {
    const config = await store.readJsonBlob<ImageConfig>(target.config).catch(() => undefined);
    const diffIds = config?.rootfs?.diff_ids;
    if (!Array.isArray(diffIds)) continue;
    const times = [config?.created, ...(config?.history ?? []).map((h) => h?.created)];
    for (const c of chainIds(diffIds)) for (const t of times) add(c, t);
  }
  return out;
}
