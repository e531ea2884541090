/**
 * `strata save IMAGE -o FILE [--format docker|oci] [--platform P]`: write an image to an
 * archive. A multi-platform name saves as an OCI index of all its platforms (--format oci),
 * or one platform chosen with --platform (a docker archive holds one).
 */
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import {
  DOCKER_ONE_PLATFORM,
  type ExportArchiveOptions,
  exportArchive,
} from '../core/export/export-archive.js';
import { writeArchiveFile } from '../core/export/write-output.js';
import { normalizeRef } from '../core/image/reference.js';
import { findImage } from '../core/inspect/image-view.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, platformFlag, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

const OPTIONS = {
  ...ROOT_OPTION,
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  compression: { type: 'string' },
  platform: { type: 'string' },
} as const;

const USAGE =
  'save: usage: strata save IMAGE -o FILE [--format docker|oci] [--compression gzip|none] [--platform P]';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('save', args, OPTIONS);
  if (positionals.length !== 1) throw new InvalidInputError(USAGE);
  const format = values.format ?? 'docker';
  if (format !== 'docker' && format !== 'oci') {
    throw new InvalidInputError(`save: --format must be docker or oci, not ${JSON.stringify(format)}`);
  }
  const compression = values.compression;
  if (compression !== undefined && compression !== 'gzip' && compression !== 'none') {
    throw new InvalidInputError(
      `save: --compression must be gzip or none, not ${JSON.stringify(compression)}`,
    );
  }
  const store = await openStore(values.root, io);
  const [name] = positionals;
  const image = await findImage(store, name, platformFlag(values.platform));
  const platforms =
    values.platform !== undefined || isIdLike(name)
      ? undefined
      : Object.values((await store.getRef(normalizeRef(name)).catch(() => undefined))?.platforms ?? {});
  if (platforms !== undefined && platforms.length > 1 && format === 'docker') {
    throw new InvalidInputError(
      `save ${name}: it holds ${platforms.length} platforms; ${DOCKER_ONE_PLATFORM.replace(
        /^export docker: /,
        '',
      )
        .replace(/--output type=docker,dest=FILE,platform=/, 'save --platform ')
        .replace(/--output type=oci \(or push\)/, 'save --format oci')}`,
    );
  }
  const exported = { config: image.id, ...(platforms && platforms.length > 1 ? { platforms } : {}) };
  // Saved by name: that name is the archive's tag (like docker save). Saved by ID: untagged.
  const tags = isIdLike(name) ? [] : [normalizeRef(name)];
  const opts: ExportArchiveOptions = { format, tags, ...(compression ? { compression } : {}) };
  if (values.output === undefined || values.output === '-') {
    if (io.stdout.isTTY)
      throw new InvalidInputError('save: refusing to write an archive to a terminal; use -o FILE');
    // process.stdout is a Writable; tests inject any Writable.
    await exportArchive(store, exported, io.stdout as unknown as Writable, opts);
    return 0;
  }
  await writeArchiveFile(store, exported, resolve(io.cwd, values.output), opts);
  return 0;
}

function isIdLike(name: string): boolean {
  return /^(sha256:)?[a-f0-9]{4,64}$/.test(name) && !name.includes(':', 7);
}
