/**
 * Instruction flags (`--from=x`, `--link`, `--mount=...`) validated against the set an
 * instruction accepts, with BuildKit's rules: string flags need `=value`, bool flags take
 * `--f`, `--f=true|false` (any case), only `strings` flags may repeat, a bare `--` ends the
 * flags, anything unknown is an error.
 */
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
      const known = Object.keys(spec);
      const hint = suggest(name, known);
      throw new InstructionError(`unknown flag: ${flagName}${hint ? ` (did you mean ${hint}?)` : ''}`);
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

/** The closest known name within edit distance 2, as `--name`, for "did you mean". */
export function suggest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = o;
    }
  }
  return best === undefined ? undefined : `--${best}`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
