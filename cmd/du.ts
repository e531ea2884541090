/** `strata du [-v]`: what the store holds, by kind, with sizes. */

import type { CacheRecord } from '../core/cache/records.js';
import { quarantineUsage } from '../core/fsck/quarantine.js';
import { metaCacheFiles } from '../core/gc/meta-caches.js';
import { humanSize } from '../core/inspect/image-view.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import { table } from './images.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseFlags('du', args, { ...ROOT_OPTION, verbose: { type: 'boolean', short: 'v' } });
  const store = await openStore(values.root, io);
  const du = await store.du();
  const quarantined = await quarantineUsage(store.root);
  const layerBytes = du.layers.reduce((a, l) => a + l.size, 0);
  const blobBytes = du.blobs.reduce((a, b) => a + b.size, 0);
  const mountBytes = du.cacheMounts.reduce((a, m) => a + m.size, 0);
  // meta/: the caches that only save time (the GC's to remove), and the rest (build reports,
  // their pointers, the step index: kept to history.maxEntries, not by size).
  const metaCaches = metaCacheFiles(du.meta);
  const metaCacheBytes = metaCaches.reduce((a, f) => a + f.size, 0);
  const historyBytes = du.meta.reduce((a, f) => a + f.size, 0) - metaCacheBytes;
  if (values.verbose) {
    const records = await store.listCacheRecords<CacheRecord>();
    const byChain = new Map(
      records.filter((r) => r.result.chainId).map((r) => [r.result.chainId, r.options.instruction]),
    );
    io.stdout.write(
      table(
        ['LAYER (chainID)', 'SIZE', 'MADE BY'],
        du.layers.map((l) => [l.chainId.slice(7, 19), humanSize(l.size), byChain.get(l.chainId) ?? '']),
      ),
    );
    io.stdout.write('\n');
    io.stdout.write(
      table(
        ['CACHE MOUNT', 'SIZE', 'PATH'],
        du.cacheMounts.map((m) => [m.id ?? '?', humanSize(m.size), m.path]),
      ),
    );
    io.stdout.write('\n');
  }
  io.stdout.write(
    table(
      ['TYPE', 'COUNT', 'SIZE'],
      [
        ['layers', String(du.layers.length), humanSize(layerBytes)],
        ['blobs', String(du.blobs.length), humanSize(blobBytes)],
        ['cache records', String(du.cacheRecords), ''],
        ['exec.cachemount', String(du.cacheMounts.length), humanSize(mountBytes)],
        ['meta caches', String(metaCaches.length), humanSize(metaCacheBytes)],
        ['build history', String(du.meta.length - metaCaches.length), humanSize(historyBytes)],
        ['quarantine (fsck)', String(quarantined.entries), humanSize(quarantined.size)],
      ],
    ),
  );
  return 0;
}
