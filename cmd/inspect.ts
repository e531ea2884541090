/** `strata inspect IMAGE... [--format TEMPLATE] [--platform P]`: Docker-shaped JSON of stored images. */
import { renderTemplate } from '../core/inspect/go-template.js';
import { dockerInspect, findImage } from '../core/inspect/image-view.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, platformFlag, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('inspect', args, {
    ...ROOT_OPTION,
    format: { type: 'string', short: 'f' },
    platform: { type: 'string' },
  });
  if (positionals.length === 0) throw new InvalidInputError('inspect: name at least one image');
  const store = await openStore(values.root, io);
  const out: Record<string, unknown>[] = [];
  for (const name of positionals)
    out.push(await dockerInspect(store, await findImage(store, name, platformFlag(values.platform))));
  if (values.format !== undefined) {
    for (const o of out) io.stdout.write(`${renderTemplate(values.format, o)}\n`);
  } else {
    io.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
  }
  return 0;
}
