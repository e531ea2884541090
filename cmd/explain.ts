/**
 * `strata explain [IMAGE] [--json] [--max-details N] [--verbose]`: why each step of the build
 * that last made IMAGE (or of the last build) hit or missed the cache. `--json` prints the
 * structured view (the saved build report plus who made each reused record) for tools.
 */
import { findImage } from '../core/inspect/image-view.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { formatExplain, loadExplainView } from '../core/views/index.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('explain', args, {
    ...ROOT_OPTION,
    json: { type: 'boolean' },
    'max-details': { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
  });
  if (positionals.length > 1) throw new InvalidInputError('explain: name at most one image');
  const max = values['max-details'] === undefined ? 10 : Number(values['max-details']);
  if (!Number.isInteger(max) || max < 0) {
    throw new InvalidInputError(
      `explain: --max-details wants a whole number, not ${JSON.stringify(values['max-details'])}`,
    );
  }
  const store = await openStore(values.root, io);
  const imageId = positionals[0] === undefined ? undefined : (await findImage(store, positionals[0])).id;
  const view = await loadExplainView(store, imageId);
  if (values.json) io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  else io.stdout.write(formatExplain(view, { maxDetails: max, verbose: values.verbose ?? false }));
  return 0;
}
