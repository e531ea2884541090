/** mergeCacheConfigs: the union concurrent exports are merged into. */
import { describe, expect, it } from 'vitest';
import type { CacheRecord } from '../../../core/cache/records.js';
import { chainId, type Digest, sha256 } from '../../../core/oci/digest.js';
import {
  type CacheConfig,
  type CacheLayerEntry,
  mergeCacheConfigs,
} from '../../../core/registry/cache-manifest.js';

const d = (s: string) => sha256(s);
function layer(parent: Digest | undefined, name: string): CacheLayerEntry {
  const diffId = d(`diff ${name}`);
  return {
    chainId: chainId(parent, diffId),
    diffId,
    ...(parent ? { parent } : {}),
    size: 1,
    blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d(`blob ${name}`), size: 1 },
  };
}
const record = (key: string, createdAt: string) => ({ key: d(key), createdAt }) as unknown as CacheRecord;
const config = (c: Partial<CacheConfig>): CacheConfig => ({
  version: 1,
  records: [],
  layers: [],
  files: [],
  mounts: [],
  ...c,
});

describe('mergeCacheConfigs', () => {
  it('keeps every entry of every config, the newest record per key, parents before children', () => {
    const base = layer(undefined, 'base');
    const a1 = layer(base.chainId, 'a1');
    const b1 = layer(base.chainId, 'b1');
    const b2 = layer(b1.chainId, 'b2');
    const merged = mergeCacheConfigs([
      config({ records: [record('k1', '2026-01-01'), record('shared', '2026-01-01')], layers: [base, a1] }),
      // Another job's export lists its chain child-first: the merge orders it again.
      config({
        records: [record('k2', '2026-01-02'), record('shared', '2026-01-03')],
        layers: [b2, b1, base],
        mounts: [{ id: 'apt', blob: b2.blob }],
      }),
    ]);
    expect(merged.records.map((r) => r.key).sort()).toEqual([d('k1'), d('k2'), d('shared')].sort());
    expect(merged.records.find((r) => r.key === d('shared'))?.createdAt).toBe('2026-01-03');
    expect(merged.layers.map((l) => l.chainId)).toHaveLength(4);
    const at = (l: CacheLayerEntry) => merged.layers.findIndex((x) => x.chainId === l.chainId);
    expect(at(base)).toBe(0);
    expect(at(b1)).toBeLessThan(at(b2));
    expect(merged.mounts).toEqual([{ id: 'apt', blob: b2.blob }]);
  });
});
