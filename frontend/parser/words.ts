/**
 * The quote-aware word splitter ENV, LABEL and ARG use at parse time. Quotes and escape
 * characters stay in the words (the expansion lexer removes them later); they only decide
 * where a word ends.
 */
import { isSpace } from './is-space.js';

/**
 * Split `rest` into words on unquoted white space. Outside quotes and inside `"..."` the
 * escape character keeps itself and the next character in the word; inside `'...'` it is
 * ordinary. An escape character at the very end is dropped.
 */
export function parseWords(rest: string, escapeChar: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  const n = chars.length;
  let word = '';
  let inWord = false;
  let quote = '';
  let blankOk = false;
  for (let i = 0; i < n; i++) {
    let ch = chars[i];
    if (!inWord) {
      if (isSpace(ch)) continue;
      inWord = true;
    }
    if (!quote) {
      if (isSpace(ch)) {
        if (blankOk || word.length > 0) words.push(word);
        word = '';
        blankOk = false;
        inWord = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
      } else if (ch === escapeChar) {
        if (i + 1 === n) continue;
        word += ch;
        ch = chars[++i];
      }
      word += ch;
      continue;
    }
    // Inside quotes: the closing quote ends the quoted part but is kept.
    if (ch === quote) quote = '';
    if (ch === escapeChar && quote !== "'") {
      if (i + 1 === n) {
        quote = '';
        continue;
      }
      word += ch;
      ch = chars[++i];
    }
    word += ch;
  }
  if (inWord && (blankOk || word.length > 0)) words.push(word);
  return words;
}
