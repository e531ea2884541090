/** `strata pull [--platform P] [--insecure-registry HOST]... [-q] REF`: an image from a registry into the store. */
import { InvalidInputError } from '../core/oci/errors.js';
import { type PullProgress, pullImage } from '../core/registry/pull-image.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

const OPTIONS = {
  ...ROOT_OPTION,
  platform: { type: 'string' },
  'insecure-registry': { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
} as const;

const USAGE =
  'pull: usage: strata pull [--platform OS/ARCH[/VARIANT]] [--insecure-registry HOST]... [-q] REF';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('pull', args, OPTIONS);
  if (positionals.length !== 1) throw new InvalidInputError(USAGE);
  const store = await openStore(values.root, io);
  const quiet = values.quiet === true;
  const result = await pullImage(store, positionals[0], {
    env: io.env,
    insecureRegistries: values['insecure-registry'] ?? [],
    ...(values.platform !== undefined ? { platform: values.platform } : {}),
    onProgress: quiet ? undefined : (e) => report(e, io),
  });
  if (!quiet) io.stderr.write(`Digest: ${result.manifest.digest}\n`);
  io.stdout.write(`${result.ref}\n`);
  return 0;
}

/** One line per layer when it is settled (Docker's wording), not a line per chunk. */
function report(e: PullProgress, io: Io): void {
  if (e.type === 'resolved') io.stderr.write(`Pulling ${e.ref} (${e.platform})\n`);
  else if (e.type === 'layer' && e.status !== 'downloading') {
    const what = e.status === 'exists' ? 'Already exists' : 'Pull complete';
    io.stderr.write(`${e.digest.slice(7, 19)}: ${what}\n`);
  }
}
