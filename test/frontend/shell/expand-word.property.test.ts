/**
 * Property: expandWord (which skips the lexer for words with nothing to expand) gives exactly
 * processWord's result, and fails exactly when processWord fails, for either escape token.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandWord, processWord } from '../../../frontend/shell/shell-lexer.js';

const env = new Map([
  ['A', 'one'],
  ['B', 'two words'],
  ['EMPTY', ''],
]);

// Words built mostly from the characters that decide whether the lexer is needed.
const piece = fc.constantFrom(
  'a',
  'b',
  ' ',
  '/',
  '-',
  '=',
  ':',
  '$',
  '$A',
  '${B}',
  '${X:-d}',
  '"',
  "'",
  '\\',
  '`',
  '{',
  '}',
  'é',
  '\ud83d\ude00',
);
const word = fc.array(piece, { maxLength: 12 }).map((ps) => ps.join(''));

function outcome(f: () => string): string {
  try {
    return `ok ${f()}`;
  } catch (err) {
    return `error ${(err as Error).constructor.name} ${(err as Error).message}`;
  }
}

describe('expandWord', () => {
  it('agrees with processWord(...).result, errors included', () => {
    fc.assert(
      fc.property(word, fc.constantFrom('\\', '`'), (w, escapeToken) => {
        const want = outcome(() => processWord(w, env, { escapeToken }).result);
        expect(outcome(() => expandWord(w, env, { escapeToken }))).toBe(want);
      }),
      { numRuns: 3000 },
    );
  });

  it('returns a plain word unchanged and expands one with a variable', () => {
    expect(expandWord('s48', env)).toBe('s48');
    expect(expandWord('/work/$A', env)).toBe('/work/one');
    expect(expandWord('a`b', env, { escapeToken: '`' })).toBe('ab');
  });

  it('rejects a bad escape token like processWord does', () => {
    expect(() => expandWord('plain', env, { escapeToken: '' })).toThrow(TypeError);
  });
});
