/**
 * The word splitter BuildKit's parser uses to find heredoc words: its shell lexer with an
 * empty environment, unset variables left as written, escape `\` (whatever the escape
 * directive says), and optionally raw quotes/escapes. Reproduced closely, quirks included
 * (a nested `${x:-...}` resets the word being built; `<<` swallows the blanks after it),
 * because which words count as heredocs depends on them.
 */

import { goQuote } from './go-quote.js';
import { isSpace } from './is-space.js';

const EOF = '';
const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;

/** An unbalanced quote or a bad `${...}`; the message follows BuildKit's wording. */
export class HeredocLexError extends Error {}

export interface LexOptions {
  /** Keep quote characters in the words. */
  rawQuotes: boolean;
  /** Keep escape characters in the words. */
  rawEscapes: boolean;
}

/** Split `input` into shell words. Throws HeredocLexError. */
export function lexWords(input: string, opts: LexOptions): string[] {
  const lexer = new Lexer(input, opts.rawQuotes, opts.rawEscapes);
  try {
    return lexer.processStopOn(EOF, opts.rawEscapes).words;
  } catch (err) {
    if (err instanceof HeredocLexError) {
      throw new HeredocLexError(`failed to process ${goQuote(input)}: ${err.message}`);
    }
    throw err;
  }
}

/** Words collected into a buffer that nested calls share (and reset), as upstream does. */
class Words {
  words: string[] = [];
  inWord = false;
  constructor(readonly buf: { s: string }) {}
  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.buf.s.length !== 0) {
        this.words.push(this.buf.s);
        this.buf.s = '';
        this.inWord = false;
      }
    } else this.addRawChar(ch);
  }
  addRawChar(ch: string): void {
    this.buf.s += ch;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  addRawString(s: string): void {
    this.buf.s += s;
    this.inWord = true;
  }
  getWords(): string[] {
    if (this.buf.s.length > 0) {
      this.words.push(this.buf.s);
      this.buf.s = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class Lexer {
  #chars: string[];
  #pos = 0;
  #buf = { s: '' };
  #rawEscapes: boolean;

  constructor(
    input: string,
    readonly rawQuotes: boolean,
    rawEscapes: boolean,
  ) {
    this.#chars = Array.from(input);
    this.#rawEscapes = rawEscapes;
  }

  #peek(): string {
    return this.#chars[this.#pos] ?? EOF;
  }
  #next(): string {
    return this.#chars[this.#pos++] ?? EOF;
  }

  processStopOn(stop: string, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.#rawEscapes;
    this.#rawEscapes = rawEscapes;
    try {
      return this.#stopOn(stop);
    } finally {
      this.#rawEscapes = saved;
    }
  }

  #stopOn(stop: string): { result: string; words: string[] } {
    let result = '';
    this.#buf.s = '';
    const words = new Words(this.#buf);
    while (this.#peek() !== EOF) {
      let ch = this.#peek();
      if (stop !== EOF && ch === stop) {
        this.#next();
        return { result, words: words.getWords() };
      }
      if (ch === '$' || ch === '<' || ch === "'" || ch === '"') {
        const tmp =
          ch === '$'
            ? this.#dollar()
            : ch === '<'
              ? this.#possibleHeredoc()
              : ch === "'"
                ? this.#singleQuote()
                : this.#doubleQuote();
        result += tmp;
        if (ch === '$') words.addString(tmp);
        else words.addRawString(tmp);
        continue;
      }
      ch = this.#next();
      if (ch === '\\') {
        if (this.#rawEscapes) {
          words.addRawChar(ch);
          result += ch;
        }
        ch = this.#next();
        if (ch === EOF) break;
        words.addRawChar(ch);
      } else {
        words.addChar(ch);
      }
      result += ch;
    }
    if (stop !== EOF)
      throw new HeredocLexError(`unexpected end of statement while looking for matching ${stop}`);
    return { result, words: words.getWords() };
  }

  #singleQuote(): string {
    let out = '';
    const open = this.#next();
    if (this.rawQuotes) out += open;
    for (;;) {
      const ch = this.#next();
      if (ch === EOF)
        throw new HeredocLexError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.rawQuotes) out += ch;
        return out;
      }
      out += ch;
    }
  }

  #doubleQuote(): string {
    let out = '';
    const open = this.#next();
    if (this.rawQuotes) out += open;
    for (;;) {
      const p = this.#peek();
      if (p === EOF)
        throw new HeredocLexError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        this.#next();
        if (this.rawQuotes) out += p;
        return out;
      }
      if (p === '$') {
        out += this.#dollar();
        continue;
      }
      let ch = this.#next();
      if (ch === '\\') {
        if (this.#rawEscapes) out += ch;
        const after = this.#peek();
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === '\\') ch = this.#next();
      }
      out += ch;
    }
  }

  /** `$name` / `${...}` with every variable unset and kept as written. */
  #dollar(): string {
    this.#next();
    if (this.#peek() !== '{') {
      const name = this.#name();
      return name === '' ? '$' : `$${name}`;
    }
    this.#next();
    const p = this.#peek();
    if (p === EOF) throw new HeredocLexError("syntax error: missing '}'");
    if (p === '{' || p === '}' || p === ':') throw new HeredocLexError('syntax error: bad substitution');
    const name = this.#name();
    let ch = this.#next();
    // Go prints string(EOF) as U+FFFD.
    let chs = ch === EOF ? '\ufffd' : ch;
    let nullIsUnset = false;
    if (ch === '}') return `\${${name}}`;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.#next();
      chs += ch === EOF ? '\ufffd' : ch;
    }
    if (nullIsUnset || ch === '+' || ch === '-' || ch === '?' || ch === '#' || ch === '%') {
      const raw = ch === '#' || ch === '%';
      if (nullIsUnset && raw) throw new HeredocLexError(`unsupported modifier (${chs}) in substitution`);
      const word = this.#stopOnOrMissing('}', raw, "syntax error: missing '}'");
      return `\${${name}${chs}${word}}`;
    }
    if (ch === '/') {
      if (this.#peek() === '/') this.#next();
      const pattern = this.#stopOnOrMissing('/', true, `syntax error: missing '/' in $\{}`);
      const replacement = this.#stopOnOrMissing('}', true, "syntax error: missing '}'");
      return `\${${name}/${pattern}/${replacement}}`;
    }
    throw new HeredocLexError(`unsupported modifier (${chs}) in substitution`);
  }

  #stopOnOrMissing(stop: string, raw: boolean, missing: string): string {
    try {
      return this.processStopOn(stop, raw).result;
    } catch (err) {
      if (err instanceof HeredocLexError && this.#peek() === EOF) throw new HeredocLexError(missing);
      throw err;
    }
  }

  #name(): string {
    let name = '';
    while (this.#peek() !== EOF) {
      const ch = this.#peek();
      if (name === '' && DIGIT.test(ch)) {
        while (this.#peek() !== EOF && DIGIT.test(this.#peek())) name += this.#next();
        return name;
      }
      if (name === '' && '@*#?-$!0'.includes(ch)) return this.#next();
      if (!LETTER.test(ch) && !DIGIT.test(ch) && ch !== '_') break;
      name += this.#next();
    }
    return name;
  }

  #possibleHeredoc(): string {
    this.#next();
    if (this.#peek() !== '<') return '<';
    this.#next();
    let space = '';
    for (let p = this.#peek(); p === '\t' || p === '\r' || p === ' '; p = this.#peek()) space += this.#next();
    return `<<${space}`;
  }
}
