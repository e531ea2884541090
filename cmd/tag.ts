/** `strata tag SOURCE TARGET`: give an image (every platform of a multi-platform name) another name. */

import { normalizeRef } from '../core/image/reference.js';
import { findImage } from '../core/inspect/image-view.js';
import { InvalidInputError } from '../core/oci/errors.js';
import type { RefTarget, Store } from '../store/index.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('tag', args, ROOT_OPTION);
  if (positionals.length !== 2)
    throw new InvalidInputError('tag: usage: strata tag SOURCE_IMAGE TARGET_IMAGE[:TAG]');
  const store = await openStore(values.root, io);
  const img = await findImage(store, positionals[0]);
  const source = await sourceRef(store, positionals[0]);
  // A multi-platform name keeps all its platforms under the new name, as docker tag of an index does.
  const platforms = source?.config === img.id ? source.platforms : undefined;
  await store.setRef(normalizeRef(positionals[1]), { config: img.id, ...(platforms ? { platforms } : {}) });
  return 0;
}

/** The ref a SOURCE name points at (undefined for an image ID or an unknown name). */
async function sourceRef(store: Store, name: string): Promise<RefTarget | undefined> {
  try {
    return await store.getRef(normalizeRef(name));
  } catch {
    return undefined;
  }
}
