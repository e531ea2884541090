/**
 * Property: parseWords (which slices words out of the line) splits exactly like the
 * character-by-character definition of BuildKit's parseWords, for either escape character.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSpace } from '../../../frontend/parser/is-space.js';
import { parseWords } from '../../../frontend/parser/words.js';

/** The reference: walk code points, build each word, keep quotes and escapes. */
function referenceWords(rest: string, escapeChar: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let word = '';
  let inWord = false;
  let quote = '';
  let blankOk = false;
  for (let i = 0; i < chars.length; i++) {
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
        if (i + 1 === chars.length) continue;
        word += ch;
        ch = chars[++i];
      }
      word += ch;
      continue;
    }
    if (ch === quote) quote = '';
    if (ch === escapeChar && quote !== "'") {
      if (i + 1 === chars.length) {
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

const piece = fc.constantFrom(
  'a',
  'b=',
  ' ',
  '\t',
  '"',
  "'",
  '\\',
  '`',
  '$',
  '\u00a0',
  '\u3000',
  '\u{1F600}',
  'x y',
);

describe('parseWords', () => {
  it.each(['\\', '`'])('matches the per-character reference (escape %s)', (escapeChar) => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 16 }), (parts) => {
        const line = parts.join('');
        expect(parseWords(line, escapeChar)).toEqual(referenceWords(line, escapeChar));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps quotes and escapes and drops only a final escape', () => {
    expect(parseWords('a="b c" d\\ e f\\', '\\')).toEqual(['a="b c"', 'd\\ e', 'f']);
  });
});
