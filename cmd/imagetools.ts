/**
 * `strata imagetools create -t TARGET [--dry-run] [--insecure-registry HOST]... SOURCE...`:
 * one index over images already pushed (each a manifest or an index), as `docker buildx
 * imagetools create` makes it, without pulling a layer (core/registry/merge-index.ts).
 */
import { InvalidInputError } from '../core/oci/errors.js';
import { parseFlags } from './common.js';
import type { Io } from './io.js';

const USAGE =
  'imagetools: usage: strata imagetools create -t TARGET [--dry-run] [--insecure-registry HOST]... SOURCE...';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('imagetools', args, {
    tag: { type: 'string', short: 't' },
    'dry-run': { type: 'boolean' },
    'insecure-registry': { type: 'string', multiple: true },
  });
  const [sub, ...sources] = positionals;
  if (sub !== 'create' || values.tag === undefined || sources.length === 0)
    throw new InvalidInputError(USAGE);
  const { mergeIndex } = await import('../core/registry/merge-index.js');
  const r = await mergeIndex(values.tag, sources, {
    env: io.env,
    insecureRegistries: values['insecure-registry'] ?? [],
    dryRun: values['dry-run'] ?? false,
    onProgress: (m) => io.stderr.write(`${m}\n`),
  });
  if (values['dry-run'])
    io.stdout.write(`${JSON.stringify(JSON.parse(r.bytes.toString('utf8')), null, 2)}\n`);
  else io.stdout.write(`${r.ref}\n`);
  return 0;
}
