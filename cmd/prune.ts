/** `strata prune [--all] [--filter type=exec.cachemount]`: reclaim space in the store. */
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
  let cacheMountsOnly = false;
  for (const f of values.filter ?? []) {
    if (f === 'type=exec.cachemount') cacheMountsOnly = true;
    else
      throw new InvalidInputError(
        `prune: unsupported filter ${JSON.stringify(f)} (supported: type=exec.cachemount)`,
      );
  }
  const store = await openStore(values.root, io);
  const r = await prune(store, { all: values.all ?? false, cacheMountsOnly, graceMs: 60_000 });
  io.stdout.write(
    `removed ${r.cacheRecords} cache records, ${r.layers} layers, ${r.blobs} blobs, ${r.cacheMounts} cache mounts\n` +
      `Total reclaimed space: ${humanSize(r.bytes)}\n`,
  );
  return 0;
}
