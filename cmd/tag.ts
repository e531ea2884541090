/** `strata tag SOURCE TARGET`: give an image another name. */

import { normalizeRef } from '../core/image/reference.js';
import { findImage } from '../core/inspect/image-view.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('tag', args, ROOT_OPTION);
  if (positionals.length !== 2)
    throw new InvalidInputError('tag: usage: strata tag SOURCE_IMAGE TARGET_IMAGE[:TAG]');
  const store = await openStore(values.root, io);
  const img = await findImage(store, positionals[0]);
  await store.setRef(normalizeRef(positionals[1]), { config: img.id });
  return 0;
}
