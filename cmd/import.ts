/**
 * `strata import [--platform P] ROOTFS.tar NAME[:TAG]`: make a one-layer image from a root
 * filesystem tar. With --platform, the name keeps its images of other platforms.
 */
import { resolve } from 'node:path';
import { importRootfs } from '../core/export/import-rootfs.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('import', args, {
    ...ROOT_OPTION,
    platform: { type: 'string' },
  } as const);
  if (positionals.length !== 2)
    throw new InvalidInputError('import: usage: strata import [--platform OS/ARCH] ROOTFS.tar NAME[:TAG]');
  const store = await openStore(values.root, io);
  const { config } = await importRootfs(store, resolve(io.cwd, positionals[0]), positionals[1], {
    ...(values.platform !== undefined ? { platform: values.platform } : {}),
  });
  io.stdout.write(`${config}\n`);
  return 0;
}
