/**
 * `strata fsck [--repair] [--json]`: re-hash every blob and layer of the store and check
 * that refs, manifests, configs and cache records agree. Prints one line per problem and a
 * summary. First cleans what dead builds left (runc containers and their processes, mounts,
 * build and staging dirs) and lists each item as `orphan-*`. Exit 0 when nothing is wrong (or --repair dealt with everything), 4 when problems
 * remain (e2fsck's "errors left uncorrected").
 */
import { type DeadBuildSweep, describeDeadBuildSweep } from '../core/exec/build-dirs.js';
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
  // fsck cleans after dead builds itself, to list each item rather than a one-line notice.
  const store = await openStore(values.root, io, { sweep: false });
  const report = await fsck(store, { repair: values.repair ?? false });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const l of orphanLines(report.orphans)) io.stdout.write(`${l}\n`);
    const cleaned = describeDeadBuildSweep(report.orphans);
    if (cleaned) io.stdout.write(`${cleaned}\n`);
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

/** One line per thing a dead build left, in the order cleaned, with what was done in brackets. */
function orphanLines(o: DeadBuildSweep): string[] {
  const row = (kind: string, path: string, detail: string) => `${kind.padEnd(18)} ${path}${detail}`;
  return [
    ...o.containers.map((c) =>
      row(
        'orphan-container',
        c.bundle,
        `: runc container ${c.id}, processes ${c.pids.join(' ') || 'none'} [killed]`,
      ),
    ),
    ...o.mounts.map((m) => row('orphan-mount', m, ' [unmounted]')),
    ...o.builds.map((b) => row('orphan-build', b, ' [removed]')),
    ...o.temp.map((t) => row('orphan-temp', t, ' [removed]')),
    ...o.kept.map((k) => row('orphan-kept', k.path, `: ${k.reason}`)),
  ];
}

function line(p: FsckProblem): string {
  const fix =
    p.repaired === undefined ? '' : ` [${p.repaired.action}${p.repaired.to ? ` to ${p.repaired.to}` : ''}]`;
  return `${p.kind.padEnd(18)} ${p.path}: ${p.detail}${fix}`;
}
