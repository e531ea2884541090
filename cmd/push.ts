/**
 * `strata push [--insecure-registry HOST]... [--format docker|oci] [--platform P] IMAGE [DEST_REF]`:
 * an image to a registry. A multi-platform name goes up as an index of all its platforms,
 * unless --platform picks one.
 */
import { normalizeRef } from '../core/image/reference.js';
import { findImage } from '../core/inspect/image-view.js';
import type { Digest } from '../core/oci/digest.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { pushImage, pushImageIndex } from '../core/registry/push-image.js';
import { openStore, parseFlags, platformFlag, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

const OPTIONS = {
  ...ROOT_OPTION,
  'insecure-registry': { type: 'string', multiple: true },
  format: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  platform: { type: 'string' },
} as const;

const USAGE =
  'push: usage: strata push [--insecure-registry HOST]... [--format docker|oci] [--platform P] [-q] IMAGE [DEST_REF]';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('push', args, OPTIONS);
  if (positionals.length < 1 || positionals.length > 2) throw new InvalidInputError(USAGE);
  const format = values.format ?? 'docker';
  if (format !== 'docker' && format !== 'oci') {
    throw new InvalidInputError(`push: --format must be docker or oci, not ${JSON.stringify(format)}`);
  }
  const [name, dest] = positionals;
  const store = await openStore(values.root, io);
  const image = await findImage(store, name, platformFlag(values.platform));
  // Without DEST_REF the image's own name is where it goes (like docker push NAME).
  const ref = normalizeRef(dest ?? name);
  const quiet = values.quiet === true;
  let platforms: string[] | undefined;
  if (values.platform === undefined) {
    try {
      platforms = Object.values((await store.getRef(normalizeRef(name)))?.platforms ?? {});
    } catch {
      platforms = undefined; // an image ID, not a name
    }
  }
  const push =
    platforms !== undefined && platforms.length > 1
      ? pushImageIndex.bind(null, store, platforms as Digest[])
      : pushImage.bind(null, store, { config: image.id });
  const result = await push(ref, {
    env: io.env,
    format,
    insecureRegistries: values['insecure-registry'] ?? [],
    onProgress: quiet
      ? undefined
      : (e) => {
          if (e.type !== 'blob' || e.status === 'uploading') return;
          const what = { exists: 'Layer already exists', mounted: 'Mounted', uploaded: 'Pushed' }[e.status];
          io.stderr.write(`${e.digest.slice(7, 19)}: ${what}\n`);
        },
  });
  io.stdout.write(`${result.ref} size: ${result.manifest.size}\n`);
  return 0;
}
