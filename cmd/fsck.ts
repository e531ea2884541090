/**
 * `strata fsck [--repair] [--json]`: re-hash every blob and layer of the store and check
 * that refs, manifests, configs and cache records agree. Prints one line per problem and a
 * summary. Exit 0 when nothing is wrong (or --repair dealt with everything), 4 when problems
 * remain (e2fsck's "errors left uncorrected").
 */
import { fsck } from '../core/fsck/fsck.js';
import type { FsckProblem } from '../core/fsck/fsck-report.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export const EXIT_PROBLEMS_REMAIN = 4;

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('fsck', args, {
    ...ROOT_OPTION,
    repair: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new InvalidInputError('fsck: takes no arguments');
  const store = await openStore(values.root, io);
  const report = await fsck(store, { repair: values.repair ?? false });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const p of report.problems) io.stdout.write(`${line(p)}\n`);
    const c = report.checked;
    const repaired = report.problems.length - report.remaining;
    io.stdout.write(
      `checked ${c.blobs} blobs, ${c.layers} layers, ${c.refs} refs, ${c.cacheRecords} cache records: ` +
        (report.problems.length === 0
          ? 'no problems\n'
          : `${report.problems.length} problems, ${repaired} repaired, ${report.remaining} remain\n`),
    );
  }
  return report.remaining > 0 ? EXIT_PROBLEMS_REMAIN : 0;
}

function line(p: FsckProblem): string {
  const fix =
    p.repaired === undefined ? '' : ` [${p.repaired.action}${p.repaired.to ? ` to ${p.repaired.to}` : ''}]`;
  return `${p.kind.padEnd(18)} ${p.path}: ${p.detail}${fix}`;
}
