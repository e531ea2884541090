/**
 * The quote-aware word splitter ENV, LABEL and ARG use at parse time. Quotes and escape
 * characters stay in the words (the expansion lexer removes them later); they only decide
 * where a word ends.
 */
import { isSpaceCode } from './is-space.js';

/**
 * Split `rest` into words on unquoted white space. Outside quotes and inside `"..."` the
 * escape character keeps itself and the next character in the word; inside `'...'` it is
 * ordinary. An escape character at the very end is dropped.
 */
export function parseWords(rest: string, escapeChar: string): string[] {
  const n = wordBounds(rest, escapeChar, BOUNDS);
  const words: string[] = new Array(n);
  for (let w = 0; w < n; w++) words[w] = rest.slice(BOUNDS[2 * w], BOUNDS[2 * w + 1]);
  return words;
}

/**
 * Scratch space for `wordBounds` callers in this package. Reused rather than allocated per
 * line (ENV and LABEL lines are most of a large file); nothing here calls back into user
 * code, so one call's bounds are always read before the next call overwrites them.
 */
export const BOUNDS: number[] = [];

/**
 * The words `parseWords` returns, as offsets: word `w` is `rest.slice(out[2w], out[2w+1])`.
 * Returns the number of words. Lets ENV/LABEL slice keys and values straight out of `rest`
 * without first making each word a string.
 */
export function wordBounds(rest: string, escapeChar: string, out: number[]): number {
  // Every character of a word is kept (quotes and escapes included) except an escape at the
  // very end of `rest`, so words are slices: no per-character strings or concatenation.
  // Code units suffice: spaces, quotes and escapes are all single units, and a surrogate
  // pair after an escape lands in the same slice either way.
  const esc = escapeChar.charCodeAt(0);
  const n = rest.length;
  let count = 0;
  let i = 0;
  while (i < n) {
    if (isSpaceCode(rest.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let end = -1; // set when a trailing escape is dropped
    let quote = 0;
    for (; i < n; i++) {
      const c = rest.charCodeAt(i);
      if (quote === 0) {
        if (isSpaceCode(c)) break;
        if (c === 0x27 || c === 0x22) quote = c;
        else if (c === esc) {
          if (i + 1 === n) end = i;
          else i++;
        }
      } else if (c === quote) {
        quote = 0;
      } else if (c === esc && quote !== 0x27) {
        if (i + 1 === n) end = i;
        else i++;
      }
    }
    const stop = end < 0 ? i : end;
    if (stop > start) {
      out[2 * count] = start;
      out[2 * count + 1] = stop;
      count++;
    }
  }
  return count;
}
