/**
 * `strata layers IMAGE [--json] [--platform P]`: each layer of IMAGE, bottom first: the instruction that
 * made it, diffID, blob digest, chainID, size, and the `diff` dir and `lower` chain to `ls`.
 */
import { loadReport } from '../core/exec/build-report.js';
import { findImage } from '../core/inspect/image-view.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { formatLayers, layerRows } from '../core/views/index.js';
import { openStore, parseFlags, platformFlag, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('layers', args, {
    ...ROOT_OPTION,
    json: { type: 'boolean' },
    platform: { type: 'string' },
  });
  if (positionals.length !== 1) throw new InvalidInputError('layers: name exactly one image');
  const store = await openStore(values.root, io);
  const img = await findImage(store, positionals[0], platformFlag(values.platform));
  const rows = await layerRows(store, img, await loadReport(store, img.id));
  if (values.json)
    io.stdout.write(`${JSON.stringify({ id: img.id, tags: img.tags, layers: rows }, null, 2)}\n`);
  else io.stdout.write(formatLayers(img, rows));
  return 0;
}
