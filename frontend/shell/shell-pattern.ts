/**
 * The patterns of `${v#p}`, `${v%p}` and `${v/p/r}`: `*` is any run of characters, `?` one
 * character, `\*` `\?` `\\` are literals, and `\}` `\/` stand for the delimiter (the
 * backslash is dropped). Any other escape is an error, and there are no bracket
 * expressions: `[` is a literal, as in BuildKit's `convertShellPatternToRegex`.
 *
 * BuildKit turns a pattern into a Go RE2 regexp. JavaScript's RegExp backtracks, so
 * `*a*a*a*b` against a long value could take exponential time; instead the pattern is run
 * as a small NFA (one state per token), which is O(value × pattern) like RE2. Like RE2's
 * `.`, neither `*` nor `?` matches a newline.
 *
 * Positions are code-point indices into `Array.from(value)` (Go works on runes).
 */

const LIT = 0;
const ANY = 1;
const STAR = 2;

interface Token {
  kind: typeof LIT | typeof ANY | typeof STAR;
  ch: string;
}

/** A parsed pattern; throws a plain Error whose message the lexer wraps. */
export class ShellPattern {
  readonly #tokens: Token[];

  private constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  /** Parses `pattern`; throws `Error("invalid escape '\x'")` on a bad escape. */
  static parse(pattern: string): ShellPattern {
    const chars = Array.from(pattern);
    const tokens: Token[] = [];
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i];
      if (ch === '*') tokens.push({ kind: STAR, ch });
      else if (ch === '?') tokens.push({ kind: ANY, ch });
      else if (ch === '\\') {
        const next = chars[i + 1];
        // `\}` and `\/` only keep the delimiter out of the ${} syntax; the escape is dropped
        // and the delimiter itself is then read as an ordinary literal.
        if (next === '}' || next === '/') continue;
        if (next !== '*' && next !== '?' && next !== '\\') {
          throw new Error(`invalid escape '\\${next ?? ''}'`);
        }
        tokens.push({ kind: LIT, ch: next });
        i++;
      } else tokens.push({ kind: LIT, ch });
    }
    return new ShellPattern(tokens);
  }

  /** The same pattern read right to left, for suffix matching. */
  reversed(): ShellPattern {
    return new ShellPattern([...this.#tokens].reverse());
  }

  /**
   * Length of the shortest (or, with `longest`, the longest) prefix of `chars` that the
   * whole pattern matches, or -1 when none does.
   */
  matchPrefix(chars: readonly string[], longest: boolean): number {
    const m = this.#tokens.length;
    let active = new Uint8Array(m + 1);
    active[0] = 1;
    this.#closeSet(active);
    let found = -1;
    for (let i = 0; ; i++) {
      if (active[m]) {
        found = i;
        if (!longest) return i;
      }
      if (i === chars.length) return found;
      const next = new Uint8Array(m + 1);
      let alive = false;
      for (let s = 0; s < m; s++) {
        if (!active[s]) continue;
        const t = this.#step(s, chars[i]);
        if (t >= 0) {
          next[t] = 1;
          alive = true;
        }
      }
      if (!alive) return found;
      this.#closeSet(next);
      active = next;
    }
  }

  /**
   * The leftmost match starting at or after `from`, the longest one among those starting
   * there (with greedy `*` only, this is what RE2's leftmost-first search returns), as
   * [start, end), or undefined.
   */
  search(chars: readonly string[], from: number): [number, number] | undefined {
    const m = this.#tokens.length;
    // starts[s]: the smallest start offset of a thread in state s, -1 when none. For one
    // state the earliest start dominates: every continuation open to a later thread is open
    // to it too, and leftmost wins.
    let starts = new Int32Array(m + 1).fill(-1);
    let best: [number, number] | undefined;
    for (let i = from; ; i++) {
      if (!best && starts[0] < 0) starts[0] = i;
      this.#closeStarts(starts);
      const s = starts[m];
      if (s >= 0 && (!best || s < best[0] || (s === best[0] && i > best[1]))) best = [s, i];
      if (i === chars.length) return best;
      const next = new Int32Array(m + 1).fill(-1);
      let alive = false;
      for (let st = 0; st < m; st++) {
        const start = starts[st];
        // Threads that began after the best match's start can no longer win.
        if (start < 0 || (best && start > best[0])) continue;
        const t = this.#step(st, chars[i]);
        if (t >= 0 && (next[t] < 0 || start < next[t])) {
          next[t] = start;
          alive = true;
        }
      }
      if (best && !alive) return best;
      starts = next;
    }
  }

  /** The state reached from `state` on `ch`, or -1. A star loops on itself. */
  #step(state: number, ch: string): number {
    const tok = this.#tokens[state];
    if (tok.kind === LIT) return tok.ch === ch ? state + 1 : -1;
    if (ch === '\n') return -1;
    return tok.kind === ANY ? state + 1 : state;
  }

  /** A star may match nothing: a thread in a star state is also in the next state. */
  #closeSet(active: Uint8Array): void {
    for (let s = 0; s < this.#tokens.length; s++) {
      if (active[s] && this.#tokens[s].kind === STAR) active[s + 1] = 1;
    }
  }

  #closeStarts(starts: Int32Array): void {
    for (let s = 0; s < this.#tokens.length; s++) {
      const v = starts[s];
      if (v >= 0 && this.#tokens[s].kind === STAR && (starts[s + 1] < 0 || v < starts[s + 1])) {
        starts[s + 1] = v;
      }
    }
  }
}
