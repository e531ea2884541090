/**
 * Dockerfile word expansion with BuildKit's `shell.Lex` semantics (formats.md §1.8):
 * quotes, the escape character, `$VAR`, `${VAR}` and the `${VAR<op>word}` forms
 * `:-  -  :+  +  :?  ?  #  ##  %  %%  /  //`.
 */
import { type Env, toEnvLookup } from './env.js';
import { ExpansionError } from './expansion-error.js';
import type { LexOptions, ProcessWordResult } from './lex-options.js';
import { LexFailure, WordExpansion } from './word-expansion.js';

export class ShellLexer {
  readonly #opts: LexOptions;

  /** Throws TypeError when `escapeToken` is not a single character. */
  constructor(opts: LexOptions = {}) {
    const token = opts.escapeToken ?? '\\';
    if (Array.from(token).length !== 1) throw new TypeError(`invalid escape token: ${JSON.stringify(token)}`);
    this.#opts = { ...opts, escapeToken: token };
  }

  /**
   * Expands `word` against `env`. Returns the single result string (internal spaces kept),
   * the same text split into words, and which names were found / not found.
   * Throws ExpansionError (code `E_PARSE`) on any lexing or substitution error.
   * Pure: the same word and env give the same result.
   */
  processWord(word: string, env: Env): ProcessWordResult {
    const run = new WordExpansion(word, toEnvLookup(env, this.#opts.caseInsensitiveEnv), this.#opts);
    try {
      const { result, words } = run.run();
      return { result, words, matched: run.matched, unmatched: run.unmatched };
    } catch (err) {
      if (err instanceof LexFailure) throw new ExpansionError(word, err.message, { cause: err.cause });
      throw err;
    }
  }

  /** Expands `word` and splits it into words (EXPOSE, VOLUME shell forms). */
  processWords(word: string, env: Env): string[] {
    return this.processWord(word, env).words;
  }
}

/** One-shot `new ShellLexer(opts).processWord(word, env)`. */
export function processWord(word: string, env: Env, opts?: LexOptions): ProcessWordResult {
  return new ShellLexer(opts).processWord(word, env);
}

/** One-shot `new ShellLexer(opts).processWords(word, env)`. */
export function processWords(word: string, env: Env, opts?: LexOptions): string[] {
  return new ShellLexer(opts).processWords(word, env);
}

/**
 * `processWord(word, env, opts).result`, without running the lexer for a word that has
 * nothing to expand: with no `$`, no quote and no escape character the result is the word
 * itself. Graph conversion expands every FROM, `--from` and stage value; most have none of
 * these, and a lexer run per word (mostly in cold code) was a visible share of a build graph.
 */
export function expandWord(word: string, env: Env, opts?: LexOptions): string {
  const token = opts?.escapeToken ?? '\\';
  if (
    token.length === 1 &&
    !word.includes('$') &&
    !word.includes(token) &&
    !word.includes("'") &&
    !word.includes('"')
  ) {
    return word;
  }
  return processWord(word, env, opts).result;
}
