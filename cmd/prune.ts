/**
 * `strata prune [--all] [--filter type=exec.cachemount|type=quarantine]`: reclaim space in
 * the store. `--all` also deletes what `fsck --repair` quarantined.
 */
import { clearQuarantine } from '../core/fsck/quarantine.js';
import { prune } from '../core/gc/prune.js';
import { humanSize } from '../core/inspect/image-view.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('prune', args, {
    ...ROOT_OPTION,
    all: { type: 'boolean', short: 'a' },
    filter: { type: 'string', multiple: true },
    force: { type: 'boolean', short: 'f' },
  });
  if (positionals.length > 0) throw new InvalidInputError('prune: takes no arguments');
  const types = new Set<string>();
  for (const f of values.filter ?? []) {
    if (f === 'type=exec.cachemount' || f === 'type=quarantine') types.add(f.slice(5));
    else
      throw new InvalidInputError(
        `prune: unsupported filter ${JSON.stringify(f)} (supported: type=exec.cachemount, type=quarantine)`,
      );
  }
  const store = await openStore(values.root, io);
  const all = values.all ?? false;
  const r =
    types.size > 0 && !types.has('exec.cachemount')
      ? { cacheRecords: 0, layers: 0, blobs: 0, cacheMounts: 0, cacheMountsInUse: 0, bytes: 0 }
      : await prune(store, { all, cacheMountsOnly: types.has('exec.cachemount'), graceMs: 60_000 });
  const q = all || types.has('quarantine') ? await clearQuarantine(store.root) : { entries: 0, size: 0 };
  io.stdout.write(
    `removed ${r.cacheRecords} cache records, ${r.layers} layers, ${r.blobs} blobs, ${r.cacheMounts} cache mounts, ${q.entries} quarantined entries\n` +
      `Total reclaimed space: ${humanSize(r.bytes + q.size)}\n`,
  );
  if (r.cacheMountsInUse > 0)
    io.stderr.write(`kept ${r.cacheMountsInUse} cache mounts a running build is using\n`);
  return 0;
}
