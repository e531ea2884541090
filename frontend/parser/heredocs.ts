/**
 * Heredoc words (`<<EOF`, `<<-EOF`, `3<<'EOF'`): which words of an instruction line open a
 * heredoc, and what each one's name, fd, chomp and expand settings are. Bodies are read by
 * the parser loop; this file only looks at the instruction line.
 */
import type { Heredoc } from './ast.js';
import { HeredocLexError, lexWords } from './heredoc-lexer.js';

// Go regexp: \d is ASCII, \s is [\t\n\f\r ], `[^<]` also matches newlines.
const HEREDOC_WORD = /^([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)$/;

/** A heredoc delimiter that cannot be lexed (an unbalanced quote...). */
export class HeredocError extends Error {}

/**
 * The heredoc a single word opens, or null when it is not a heredoc word (`<<`, `<<<X`,
 * `<X`, `<<A B`). Content is left empty. Throws HeredocError for an unbalanced delimiter.
 */
export function parseHeredoc(word: string): Heredoc | null {
  const m = HEREDOC_WORD.exec(word);
  if (!m) return null;
  const [, fd, dash, rest] = m;
  if (rest.length === 0) return null;
  let words: string[];
  let raw: string[];
  try {
    words = lexWords(rest, { rawQuotes: false, rawEscapes: false });
    if (words.length !== 1) return null;
    raw = lexWords(rest, { rawQuotes: true, rawEscapes: false });
  } catch (err) {
    if (err instanceof HeredocLexError) throw new HeredocError(err.message);
    throw err;
  }
  if (raw.length !== words.length) {
    throw new HeredocError(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  }
  // Any quoting in the delimiter (`'EOF'`, `E"O"F`) shows up as extra quote characters in
  // the raw word, and turns off expansion of the body.
  const name = words[0];
  return {
    name,
    content: '',
    // Go's ParseUint saturates; an fd that large is meaningless anyway.
    fileDescriptor: fd === '' ? 0 : Math.min(Number(fd), Number.MAX_SAFE_INTEGER),
    expand: countQuotes(name) === countQuotes(raw[0]),
    chomp: dash === '-',
  };
}

/**
 * The heredocs an instruction line opens, in order. The line is split with the raw shell
 * lexer; a line that does not lex (an unbalanced quote) has no heredocs at all.
 */
export function heredocsFromLine(line: string): Heredoc[] {
  let words: string[];
  try {
    words = lexWords(line, { rawQuotes: true, rawEscapes: true });
  } catch (err) {
    if (err instanceof HeredocLexError) return [];
    throw err;
  }
  const docs: Heredoc[] = [];
  for (const word of words) {
    const doc = parseHeredoc(word);
    if (doc) docs.push(doc);
  }
  return docs;
}

/** Remove leading tabs from every line of a `<<-` heredoc body. */
export function chompHeredocContent(content: string): string {
  // Only `\n` starts a line (Go's (?m)^), not `\r` or U+2028 as JS's m flag would.
  return content.replace(/(?<![^\n])\t+/g, '');
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s[i] === "'" || s[i] === '"') n++;
  return n;
}
