/**
 * `strata rmi NAME...`: remove names. Layers and blobs stay until `strata prune`, since
 * cache records and other images may still use them.
 */
import { normalizeRef } from '../core/image/reference.js';
import { InvalidInputError, NotFoundError } from '../core/oci/errors.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('rmi', args, ROOT_OPTION);
  if (positionals.length === 0) throw new InvalidInputError('rmi: name at least one image');
  const store = await openStore(values.root, io);
  for (const name of positionals) {
    const ref = normalizeRef(name);
    if (!(await store.deleteRef(ref))) throw new NotFoundError(`rmi: no such image: ${name}`);
    io.stdout.write(`Untagged: ${name}\n`);
  }
  return 0;
}
