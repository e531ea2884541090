/**
 * `strata blame IMAGE PATH [--json]`: the layer (and Dockerfile line) that last wrote PATH,
 * and every layer that touched it: added, modified (with what changed), deleted, made opaque.
 */
import { blame, exploreSpec, formatBlame } from '../core/explore/index.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('blame', args, { ...ROOT_OPTION, json: { type: 'boolean' } });
  if (positionals.length !== 2) throw new InvalidInputError('blame: name an image and a path');
  const model = await exploreSpec(positionals[0], { cwd: io.cwd, store: () => openStore(values.root, io) });
  const b = blame(model, positionals[1]);
  io.stdout.write(values.json ? `${JSON.stringify(b, null, 2)}\n` : formatBlame(b));
  return 0;
}
