/**
 * The variables a word is expanded against. Accepted shapes:
 * - a `Map` or plain object of name → value;
 * - a list of `"NAME=value"` strings (image config `Env` style; no `=` means empty value) or
 *   `[name, value]` pairs.
 * In a list, a later entry for the same name wins, as in BuildKit's `EnvsFromSlice`.
 */
export type Env =
  | ReadonlyMap<string, string>
  | Readonly<Record<string, string>>
  | readonly (string | readonly [string, string])[];

/** Looks names up; Unix semantics are case-sensitive, Windows semantics are not. */
export interface EnvLookup {
  get(name: string): string | undefined;
}

/**
 * Builds a lookup once per call, so each `$VAR` costs one map access (BuildKit scans its
 * map on every lookup). `caseInsensitive` upper-cases keys like Go's `NormalizeEnvKey` on
 * Windows; with it, of two keys differing only in case the later one wins. A `Map` with
 * case-sensitive lookup is read in place, not copied: the lookup sees later changes to it,
 * so use it only while the map stays as it is (one expansion).
 */
export function toEnvLookup(env: Env, caseInsensitive = false): EnvLookup {
  // Copying a whole build env for every word dominated graph conversion of long stages.
  if (!caseInsensitive && env instanceof Map) return env as ReadonlyMap<string, string>;
  const norm = caseInsensitive ? (k: string) => k.toUpperCase() : (k: string) => k;
  const map = new Map<string, string>();
  if (Array.isArray(env)) {
    for (const e of env as readonly (string | readonly [string, string])[]) {
      if (typeof e === 'string') {
        const i = e.indexOf('=');
        if (i < 0) map.set(norm(e), '');
        else map.set(norm(e.slice(0, i)), e.slice(i + 1));
      } else {
        map.set(norm(e[0]), e[1]);
      }
    }
  } else if (env instanceof Map) {
    for (const [k, v] of env) map.set(norm(k), v);
  } else {
    for (const [k, v] of Object.entries(env as Record<string, string>)) map.set(norm(k), v);
  }
  return { get: (name) => map.get(norm(name)) };
}
