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
  'max-uncompressed': { type: 'string' },
} as const;

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('load', args, OPTIONS);
  if (positionals.length !== 0 || values.input === undefined) {
    throw new InvalidInputError(
      'load: usage: strata load -i FILE [--max-uncompressed SIZE] (a docker save or OCI archive, plain or gzip)',
    );
  }
  const max = values['max-uncompressed'];
  const store = await openStore(values.root, io);
  const loaded = await loadArchive(store, resolve(io.cwd, values.input), {
    ...(max !== undefined ? { maxUncompressed: parseByteSize(max, '--max-uncompressed') } : {}),
  });
  if (!values.quiet) {
    // Docker's wording, so scripts that parse `docker load` output work unchanged.
    for (const img of loaded) {
      if (img.tags.length === 0) io.stdout.write(`Loaded image ID: ${img.config}\n`);
      for (const t of img.tags) io.stdout.write(`Loaded image: ${familiarRef(t)}\n`);
    }
  }
  return 0;
}

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** `1073741824`, `512M`, `10G`, `2TiB`: binary units, as `du -h` prints them. */
function parseByteSize(text: string, flag: string): number {
  const m = /^(\d+)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  const n = m ? Number(m[1]) * UNITS[m[2].toUpperCase()] : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidInputError(`load: ${flag} ${JSON.stringify(text)}: expected a size such as 4G or 512M`);
  return n;
}
