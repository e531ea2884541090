/** Small pieces every store-using subcommand shares. Flags are parsed with node:util parseArgs. */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { InvalidInputError } from '../core/oci/errors.js';
import type { Store } from '../store/store.js';
import type { Io } from './io.js';

/** `--root DIR` is accepted by every command (else STRATA_ROOT, XDG_DATA_HOME, ~/.local/share). */
export const ROOT_OPTION = { root: { type: 'string' } } as const;

export async function openStore(root: string | undefined, io: Io): Promise<Store> {
  const { Store } = await import('../store/store.js');
  return Store.open(root, io.env);
}

/** parseArgs with strata's error class, so a bad flag is a clear usage error, not a crash. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: T,
): {
  values: ReturnType<
    typeof parseArgs<{ options: T; allowPositionals: true; strict: true; args: string[] }>
  >['values'];
  positionals: string[];
} {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: r.values, positionals: r.positionals };
  } catch (err) {
    throw new InvalidInputError(`${command}: ${(err as Error).message}`, { cause: err });
  }
}
