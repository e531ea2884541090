/**
 * `strata diff IMAGE1 IMAGE2 [--json]`: the layers two images share (by chainID) and every
 * path added, removed or changed (with what changed), each with the step of IMAGE2 that did
 * it. Either image may be a store name, a `docker save` tar or an OCI layout directory.
 */
import { diffImages, exploreSpec, formatDiff } from '../core/explore/index.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('diff', args, { ...ROOT_OPTION, json: { type: 'boolean' } });
  if (positionals.length !== 2) throw new InvalidInputError('diff: name exactly two images');
  const opts = { cwd: io.cwd, store: () => openStore(values.root, io) };
  const d = diffImages(await exploreSpec(positionals[0], opts), await exploreSpec(positionals[1], opts));
  io.stdout.write(values.json ? `${JSON.stringify(d, null, 2)}\n` : formatDiff(d));
  return 0;
}
