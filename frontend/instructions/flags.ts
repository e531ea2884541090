/**
 * Instruction flags (`--from=x`, `--link`, `--mount=...`) validated against the set an
 * instruction accepts, with BuildKit's rules: string flags need `=value`, bool flags take
 * `--f`, `--f=true|false` (any case), only `strings` flags may repeat, a bare `--` ends the
 * flags, anything unknown is an error.
 */
import { withSuggestion } from '../suggest.js';
import { InstructionError } from './instruction-error.js';

export type FlagKind = 'bool' | 'string' | 'strings';

export type FlagSpec = Record<string, FlagKind>;

/** Parsed values: bool flags are booleans, string flags strings, repeatable flags arrays. */
export interface ParsedFlags {
  bools: ReadonlyMap<string, boolean>;
  strings: ReadonlyMap<string, string>;
  lists: ReadonlyMap<string, string[]>;
  /** Names given at least once, in order of first use. */
  used: readonly string[];
}

// Most instructions carry no flags; one shared, frozen result saves three Maps per line.
const NO_FLAGS: ParsedFlags = Object.freeze({
  bools: new Map(),
  strings: new Map(),
  lists: new Map(),
  used: Object.freeze([]),
});

/**
 * Validates raw flag words against `spec`. The result is read-only (with no words it is
 * one shared value).
 * @throws InstructionError on an unknown, duplicated, valueless or malformed flag.
 */
export function parseFlags(words: readonly string[], spec: FlagSpec): ParsedFlags {
  if (words.length === 0) return NO_FLAGS;
  const out = {
    bools: new Map<string, boolean>(),
    strings: new Map<string, string>(),
    lists: new Map<string, string[]>(),
    used: [] as string[],
  };
  for (const word of words) {
    if (word === '--') break;
    if (!word.startsWith('--')) throw new InstructionError(`arg should start with -- : ${word}`);
    const eq = word.indexOf('=');
    const flagName = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? undefined : word.slice(eq + 1);
    const name = flagName.slice(2);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) {
      throw new InstructionError(withSuggestion(`unknown flag: ${flagName}`, name, Object.keys(spec)));
    }
    if (out.used.includes(name) && kind !== 'strings') {
      throw new InstructionError(`duplicate flag specified: ${flagName}`);
    }
    if (!out.used.includes(name)) out.used.push(name);
    if (kind === 'bool') {
      if (value === '') throw new InstructionError(`missing a value on flag: ${flagName}`);
      const v = (value ?? 'true').toLowerCase();
      if (v !== 'true' && v !== 'false') {
        throw new InstructionError(`expecting boolean value for flag ${flagName}, not: ${value}`);
      }
      out.bools.set(name, v === 'true');
    } else {
      if (value === undefined) throw new InstructionError(`missing a value on flag: ${flagName}`);
      if (kind === 'string') out.strings.set(name, value);
      else out.lists.set(name, [...(out.lists.get(name) ?? []), value]);
    }
  }
  return out;
}
