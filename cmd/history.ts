/** `strata history IMAGE`: like `docker history`, newest first, with sizes and empty layers. */
import { findImage, historyRows, humanSize, timeAgo } from '../core/inspect/image-view.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, platformFlag, ROOT_OPTION } from './common.js';
import { table } from './images.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('history', args, {
    platform: { type: 'string' },
    ...ROOT_OPTION,
    'no-trunc': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    format: { type: 'string' },
  });
  if (positionals.length !== 1) throw new InvalidInputError('history: name exactly one image');
  const store = await openStore(values.root, io);
  const rows = await historyRows(
    store,
    await findImage(store, positionals[0], platformFlag(values.platform)),
  );
  if (values.format === 'json') {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (values.quiet) {
    for (const r of rows) io.stdout.write(`${r.id}\n`);
    return 0;
  }
  const trunc = (s: string) => (values['no-trunc'] || s.length <= 45 ? s : `${s.slice(0, 44)}…`);
  io.stdout.write(
    table(
      ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
      rows.map((r) => [
        r.id,
        timeAgo(r.created),
        trunc(r.createdBy),
        r.emptyLayer ? '0B' : humanSize(r.size),
        r.comment,
      ]),
    ),
  );
  return 0;
}
