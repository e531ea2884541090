/** Small pieces every store-using subcommand shares. Flags are parsed with node:util parseArgs. */
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../core/oci/errors.js';
import { canonicalPlatform } from '../core/oci/platform.js';
import type { Store } from '../store/store.js';
import type { Io } from './io.js';

/** `--root DIR` is accepted by every command (else STRATA_ROOT, XDG_DATA_HOME, ~/.local/share). */
export const ROOT_OPTION = { root: { type: 'string' } } as const;

/**
 * The store a command works on: `--root DIR` (relative to the command's cwd), else the
 * defaults. Opening it cleans what dead builds left (their runc containers, mounts, dirs)
 * and says so in one line on stderr; `fsck` passes `sweep: false` to do that itself and
 * list every item.
 */
export async function openStore(
  root: string | undefined,
  io: Io,
  opts: { sweep?: boolean } = {},
): Promise<Store> {
  const { Store } = await import('../store/store.js');
  const store = await Store.open(root === undefined ? undefined : resolve(io.cwd, root), io.env);
  if (opts.sweep === false) return store;
  // Loaded only when open() saw a build dir without a live owner, or kept something mounted.
  if (store.deadBuildCandidates.length === 0 && store.openSweep.kept.length === 0) return store;
  const { describeDeadBuildSweep, sweepDeadBuilds } = await import('../core/exec/build-dirs.js');
  const swept = await sweepDeadBuilds(store);
  const notice = describeDeadBuildSweep(swept);
  if (notice) io.stderr.write(`strata: ${notice}\n`);
  return store;
}

/** `--build-arg NAME=VALUE`, or `NAME` alone taking the value from the environment (skipped if unset), as docker does. */
export function parseBuildArgs(
  list: readonly string[] | undefined,
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) {
    const i = a.indexOf('=');
    const name = i === -1 ? a : a.slice(0, i);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new InvalidInputError(
        `--build-arg ${JSON.stringify(a)}: expected NAME=VALUE with a valid variable name`,
      );
    }
    if (i !== -1) out[name] = a.slice(i + 1);
    else if (env[name] !== undefined) out[name] = env[name] as string;
  }
  return out;
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

/** `--platform P` of the image views (inspect, layers, history, explore): one platform, canonical. */
export function platformFlag(value: string | undefined): string | undefined {
  return value === undefined ? undefined : canonicalPlatform(value);
}

/** A command that plans one platform (graph, parse): its canonical name, or a clear refusal of a list. */
export function onePlatform(command: string, value: string): string {
  if (value.includes(','))
    throw new InvalidInputError(
      `${command} --platform ${value}: one platform at a time (the plan of each platform is its own)`,
    );
  return canonicalPlatform(value);
}
