/**
 * A small command-line parser for subcommands: `--flag value`, `--flag=value`, short
 * `-f value` / `-fvalue`, grouped short booleans (`-qa`), repeatable flags collected in order,
 * booleans (`--x`, `--x=true|false`), positionals, and `--` ending the flags.
 * Unknown flags and missing values are InvalidInputError (exit code 2), never a crash.
 */
import { InvalidInputError } from '../core/oci/errors.js';

export interface FlagDef {
  type: 'boolean' | 'string';
  short?: string;
  /** Collect every occurrence (string flags only). */
  multiple?: boolean;
}

export type FlagSpec = Record<string, FlagDef>;

export type FlagValues<S extends FlagSpec> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean'
    ? boolean
    : S[K]['multiple'] extends true
      ? string[]
      : string;
};

export interface ParsedArgs<S extends FlagSpec> {
  flags: FlagValues<S>;
  positionals: string[];
}

/** Parses `argv` against `spec`; `command` prefixes error messages (`parse: unknown flag --x`). */
export function parseArgs<S extends FlagSpec>(
  argv: readonly string[],
  spec: S,
  command: string,
): ParsedArgs<S> {
  const flags: Record<string, string | string[] | boolean> = {};
  const positionals: string[] = [];
  const fail = (msg: string) => new InvalidInputError(`${command}: ${msg}`);
  const byShort = new Map(Object.entries(spec).flatMap(([n, d]) => (d.short ? [[d.short, n] as const] : [])));

  const set = (name: string, value: string | boolean) => {
    const def = spec[name];
    if (def.multiple) flags[name] = [...((flags[name] as string[] | undefined) ?? []), String(value)];
    else flags[name] = value;
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const def = Object.hasOwn(spec, name) ? spec[name] : undefined;
      if (def === undefined) throw fail(`unknown flag --${name}`);
      if (def.type === 'boolean') {
        const v = eq < 0 ? 'true' : a.slice(eq + 1).toLowerCase();
        if (v !== 'true' && v !== 'false')
          throw fail(`--${name} takes true or false, not ${JSON.stringify(v)}`);
        set(name, v === 'true');
      } else if (eq >= 0) {
        set(name, a.slice(eq + 1));
      } else {
        if (i + 1 >= argv.length) throw fail(`--${name} needs a value`);
        set(name, argv[++i]);
      }
    } else if (a.startsWith('-') && a.length > 1) {
      // -f value, -fvalue, -f=value, or grouped booleans -qa.
      for (let j = 1; j < a.length; j++) {
        const name = byShort.get(a[j]);
        if (name === undefined) throw fail(`unknown flag -${a[j]}`);
        if (spec[name].type === 'boolean') {
          set(name, true);
          continue;
        }
        let rest = a.slice(j + 1);
        if (rest.startsWith('=')) rest = rest.slice(1);
        if (rest !== '') set(name, rest);
        else if (i + 1 < argv.length) set(name, argv[++i]);
        else throw fail(`-${a[j]} needs a value`);
        break;
      }
    } else {
      positionals.push(a);
    }
  }
  return { flags: flags as FlagValues<S>, positionals };
}
