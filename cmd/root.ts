/** `strata root`: print the store directory, so `ls $(strata root)/layers` works. */
import { parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseFlags('root', args, ROOT_OPTION);
  const { Store } = await import('../store/store.js');
  const { resolve } = await import('node:path');
  io.stdout.write(`${values.root ? resolve(io.cwd, values.root) : Store.defaultRoot(io.env)}\n`);
  return 0;
}
