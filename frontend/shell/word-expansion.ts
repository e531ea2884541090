/**
 * One run of the lexer over one word: BuildKit's `shellWord`. Internal; use ShellLexer.
 * Every character is read once (nested `${...}` words are lexed in place by recursion), so
 * the cost is linear in the word plus the size of the substituted values and the pattern
 * matches.
 */
import type { EnvLookup } from './env.js';
import type { LexOptions } from './lex-options.js';
import { replacePattern, trimPrefix, trimSuffix } from './pattern-substitution.js';
import { WordSplitter } from './word-splitter.js';

/** Thrown inside a run; ShellLexer turns it into an ExpansionError naming the word. */
export class LexFailure extends Error {}

const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;
const DIGIT = /^\p{Nd}$/u;
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

export class WordExpansion {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  readonly #chars: string[];
  #pos = 0;
  readonly #env: EnvLookup;
  readonly #opts: LexOptions;
  readonly #escape: string;
  #rawEscapes: boolean;

  constructor(word: string, env: EnvLookup, opts: LexOptions) {
    this.#chars = Array.from(word);
    this.#env = env;
    this.#opts = opts;
    this.#escape = opts.escapeToken ?? '\\';
    this.#rawEscapes = opts.rawEscapes ?? false;
  }

  /** Lexes the whole word. */
  run(): { result: string; words: string[] } {
    return this.#processStopOn(undefined, this.#rawEscapes);
  }

  #peek(): string | undefined {
    return this.#chars[this.#pos];
  }

  #next(): string | undefined {
    return this.#chars[this.#pos++];
  }

  #atEnd(): boolean {
    return this.#pos >= this.#chars.length;
  }

  /** Lexes up to the unescaped `stop` (consumed) or, without one, to the end. */
  #processStopOn(stop: string | undefined, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.#rawEscapes;
    this.#rawEscapes = rawEscapes;
    try {
      let result = '';
      // A fresh splitter per level: BuildKit (2024+) shares one buffer across nested levels,
      // which loses text before a `${v:-w}` in ProcessWords; we keep the older behaviour.
      const words = new WordSplitter();
      const quotes = !this.#opts.skipProcessQuotes;
      while (!this.#atEnd()) {
        const ch = this.#peek()!;
        if (stop !== undefined && ch === stop) {
          this.#next();
          return { result, words: words.finish() };
        }
        if (ch === '$') {
          const tmp = this.#processDollar();
          result += tmp;
          words.add(tmp);
        } else if (quotes && (ch === "'" || ch === '"')) {
          const tmp = ch === "'" ? this.#processSingleQuote() : this.#processDoubleQuote();
          result += tmp;
          words.addRaw(tmp);
        } else {
          this.#next();
          if (ch === this.#escape) {
            if (this.#rawEscapes) {
              words.addRaw(ch);
              result += ch;
            }
            const escaped = this.#next();
            // A lone escape at the very end is dropped.
            if (escaped === undefined) break;
            words.addRaw(escaped);
            result += escaped;
          } else {
            words.add(ch);
            result += ch;
          }
        }
      }
      if (stop !== undefined) {
        throw new LexFailure(`unexpected end of statement while looking for matching ${stop}`);
      }
      return { result, words: words.finish() };
    } finally {
      this.#rawEscapes = saved;
    }
  }

  #processSingleQuote(): string {
    const raw = this.#opts.rawQuotes ?? false;
    const open = this.#next()!;
    let result = raw ? open : '';
    for (;;) {
      const ch = this.#next();
      if (ch === undefined) {
        throw new LexFailure('unexpected end of statement while looking for matching single-quote');
      }
      if (ch === "'") return raw ? result + ch : result;
      result += ch;
    }
  }

  #processDoubleQuote(): string {
    const raw = this.#opts.rawQuotes ?? false;
    const open = this.#next()!;
    let result = raw ? open : '';
    for (;;) {
      const peek = this.#peek();
      if (peek === undefined) {
        throw new LexFailure('unexpected end of statement while looking for matching double-quote');
      }
      if (peek === '"') {
        this.#next();
        return raw ? result + peek : result;
      }
      if (peek === '$') {
        result += this.#processDollar();
        continue;
      }
      let ch = this.#next()!;
      if (ch === this.#escape) {
        if (this.#rawEscapes) result += ch;
        const after = this.#peek();
        // Inside double quotes only `"`, `$` and the escape itself can be escaped; before
        // anything else the escape character is literal text.
        if (after === undefined) continue;
        if (after === '"' || after === '$' || after === this.#escape) ch = this.#next()!;
      }
      result += ch;
    }
  }

  /** Reads a variable name: digits only, one special parameter, or letters/digits/_. */
  #processName(): string {
    let name = '';
    while (!this.#atEnd()) {
      const ch = this.#peek()!;
      if (name === '' && DIGIT.test(ch)) {
        while (!this.#atEnd() && DIGIT.test(this.#peek()!)) name += this.#next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(ch)) return this.#next()!;
      if (!NAME_CHAR.test(ch)) break;
      name += this.#next();
    }
    return name;
  }

  #getEnv(name: string): string | undefined {
    const value = this.#env.get(name);
    if (value === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return value;
  }

  #processDollar(): string {
    this.#next();
    if (this.#peek() !== '{') {
      const name = this.#processName();
      if (name === '') return '$';
      const value = this.#getEnv(name);
      if (value === undefined && this.#opts.skipUnsetEnv) return '$' + name;
      return value ?? '';
    }
    this.#next();
    const first = this.#peek();
    if (first === undefined) throw new LexFailure("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':')
      throw new LexFailure('syntax error: bad substitution');
    const name = this.#processName();
    return this.#processModifier(name);
  }

  /** Everything after `${name`: `}`, or a modifier and its word(s) up to `}`. */
  #processModifier(name: string): string {
    let ch = this.#next();
    // BuildKit reports "unsupported modifier (\uFFFD)" here; say what is actually wrong.
    if (ch === undefined) throw new LexFailure("syntax error: missing '}'");
    let chs = ch;
    let nullIsUnset = false;
    if (ch === '}') {
      const value = this.#getEnv(name);
      if (value === undefined && this.#opts.skipUnsetEnv) return '${' + name + '}';
      return value ?? '';
    }
    if (ch === '/') return this.#processReplace(name);
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.#next();
      chs += ch ?? '';
      if (ch === '#' || ch === '%') throw new LexFailure(`unsupported modifier (${chs}) in substitution`);
      // Any other character after `:` is still followed by a word up to `}` before it is
      // rejected, so with skipUnsetEnv `${X:y}` survives as written, as in BuildKit.
    } else if (ch !== '+' && ch !== '-' && ch !== '?' && ch !== '#' && ch !== '%') {
      throw new LexFailure(`unsupported modifier (${chs}) in substitution`);
    }
    const word = this.#wordUntil('}', ch === '#' || ch === '%', "syntax error: missing '}'");
    const value = this.#getEnv(name);
    if (value === undefined && this.#opts.skipUnsetEnv) return '${' + name + chs + word + '}';
    const unset = value === undefined || (nullIsUnset && value === '');
    switch (ch) {
      case '-':
        return unset ? word : value!;
      case '+':
        return unset ? '' : word;
      case '?':
        if (value === undefined) throw new LexFailure(`${name}: ${word || 'is not allowed to be unset'}`);
        if (unset) throw new LexFailure(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      case '#':
      case '%': {
        // `##`/`%%`: the doubled operator arrives as the first character of the word.
        const longest = word.startsWith(ch);
        const pattern = longest ? word.slice(1) : word;
        return this.#withPattern(pattern, () =>
          ch === '%' ? trimSuffix(pattern, value ?? '', longest) : trimPrefix(pattern, value ?? '', longest),
        );
      }
      default:
        throw new LexFailure(`unsupported modifier (${chs}) in substitution`);
    }
  }

  #processReplace(name: string): string {
    const all = this.#peek() === '/';
    if (all) this.#next();
    const pattern = this.#wordUntil('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.#wordUntil('}', true, "syntax error: missing '}'");
    const value = this.#getEnv(name);
    if (value === undefined && this.#opts.skipUnsetEnv)
      return '${' + name + '/' + pattern + '/' + replacement + '}';
    return this.#withPattern(pattern, () => replacePattern(pattern, value ?? '', replacement, all));
  }

  /** A nested word; running out of input reports `missingMessage` (BuildKit's wording). */
  #wordUntil(stop: string, rawEscapes: boolean, missingMessage: string): string {
    try {
      return this.#processStopOn(stop, rawEscapes).result;
    } catch (err) {
      if (err instanceof LexFailure && this.#atEnd()) throw new LexFailure(missingMessage, { cause: err });
      throw err;
    }
  }

  #withPattern(pattern: string, fn: () => string): string {
    try {
      return fn();
    } catch (err) {
      if (err instanceof LexFailure) throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new LexFailure(`invalid pattern (${pattern}) in substitution: ${why}`, { cause: err });
    }
  }
}
