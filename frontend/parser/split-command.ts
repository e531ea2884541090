/**
 * Splitting one joined instruction line into keyword, leading `--flags` and the rest.
 */
import { EMPTY_LIST } from './empty-list.js';
import { isAsciiSpace, trimSpace } from './is-space.js';

export interface SplitCommand {
  /** The keyword as written (not yet lower-cased). */
  keyword: string;
  flags: string[];
  /** The arguments after the flags, trimmed. */
  rest: string;
}

/** Trim, cut at the first run of blanks, then pull the flags off the front of the rest. */
export function splitCommand(line: string, escapeChar: string): SplitCommand {
  const trimmed = trimSpace(line);
  // The first run of WHITESPACE_RUN's blanks, scanned by hand: exec's match array per line
  // was a noticeable share of what parsing allocates.
  const n = trimmed.length;
  let cut = 0;
  while (cut < n && !isSeparator(trimmed.charCodeAt(cut))) cut++;
  if (cut === n) return { keyword: trimmed, flags: EMPTY_LIST, rest: '' };
  let after = cut + 1;
  while (after < n && isSeparator(trimmed.charCodeAt(after))) after++;
  const keyword = trimmed.slice(0, cut);
  // Most lines have no flags: skip extractFlags and its result object. (It also skips a
  // `\n`, which the separators above do not.)
  const next = trimmed.charCodeAt(after);
  if (next !== 0x2d && next !== 0x0a)
    return { keyword, flags: EMPTY_LIST, rest: trimSpace(trimmed.slice(after)) };
  const { rest, flags } = extractFlags(trimmed.slice(after), escapeChar);
  return { keyword, flags, rest: trimSpace(rest) };
}

/** A character of BuildKit's `reWhitespace` class `[\t\v\f\r ]` (no `\n`). */
function isSeparator(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c || c === 0x0d;
}

/**
 * Leading words that start with `--` are flags. Quotes inside a flag word are removed and
 * the escape character makes the next character literal; a bare `--` ends the flags and
 * is dropped. Extraction stops at the first word that does not start with `--`.
 */
export function extractFlags(line: string, escapeChar: string): { rest: string; flags: string[] } {
  const flags: string[] = [];
  let pos = 0;
  const n = line.length;
  for (;;) {
    while (pos < n && isAsciiSpace(line[pos])) pos++;
    if (pos >= n) return { rest: '', flags };
    if (line[pos] !== '-' || line[pos + 1] !== '-') return { rest: line.slice(pos), flags };
    let word = '';
    let blankOk = false;
    let quote = '';
    for (; pos < n; pos++) {
      let ch = line[pos];
      if (quote) {
        if (ch === quote) {
          quote = '';
          continue;
        }
      } else {
        if (isAsciiSpace(ch)) break;
        if (ch === "'" || ch === '"') {
          quote = ch;
          blankOk = true;
          continue;
        }
      }
      if (ch === escapeChar) {
        // An escape at the very end is dropped (and closes an open quote).
        if (pos + 1 === n) {
          quote = '';
          continue;
        }
        ch = line[++pos];
      }
      word += ch;
    }
    if (pos >= n) {
      if (word !== '--' && (blankOk || word.length > 0)) flags.push(word);
      return { rest: '', flags };
    }
    if (word === '--') return { rest: line.slice(pos), flags };
    if (blankOk || word.length > 0) flags.push(word);
  }
}
