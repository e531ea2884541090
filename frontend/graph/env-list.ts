/**
 * The build env of one stage: base image Env, ENV values and in-scope ARG values in one
 * ordered list where a later definition of a name replaces the earlier one in place (so
 * `ENV X` after `ARG X` wins, and `ARG X=a` after `ENV X` wins too: formats.md 1.10).
 */
export class EnvList {
  readonly #vars: Map<string, string>;

  constructor(entries: Iterable<readonly [string, string]> = []) {
    this.#vars = new Map(entries);
  }

  /** From image-config style `K=V` strings; an entry without `=` has an empty value. */
  static fromStrings(env: readonly string[]): EnvList {
    return new EnvList(
      env.map((e): [string, string] => {
        const i = e.indexOf('=');
        return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
      }),
    );
  }

  get(name: string): string | undefined {
    return this.#vars.get(name);
  }

  has(name: string): boolean {
    return this.#vars.has(name);
  }

  set(name: string, value: string): void {
    this.#vars.set(name, value);
  }

  /**
   * The live variables, read-only: later changes to this list show through, so read it
   * only until the next `set` (enough for expanding one instruction's words).
   */
  view(): ReadonlyMap<string, string> {
    return this.#vars;
  }

  clone(): EnvList {
    return new EnvList(this.#vars);
  }
}
