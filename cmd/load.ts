/** `strata load -i FILE`: load a docker save or OCI archive into the store. */
import { resolve } from 'node:path';
import { loadArchive } from '../core/export/load-archive.js';
import { familiarRef } from '../core/image/reference.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

const OPTIONS = {
  ...ROOT_OPTION,
  input: { type: 'string', short: 'i' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('load', args, OPTIONS);
  if (positionals.length !== 0 || values.input === undefined) {
    throw new InvalidInputError(
      'load: usage: strata load -i FILE (a docker save or OCI archive, plain or gzip)',
    );
  }
  const store = await openStore(values.root, io);
  const loaded = await loadArchive(store, resolve(io.cwd, values.input));
  if (!values.quiet) {
    // Docker's wording, so scripts that parse `docker load` output work unchanged.
    for (const img of loaded) {
      if (img.tags.length === 0) io.stdout.write(`Loaded image ID: ${img.config}\n`);
      for (const t of img.tags) io.stdout.write(`Loaded image: ${familiarRef(t)}\n`);
    }
  }
  return 0;
}
