/**
 * goMatch (a regexp translation of Go `filepath.Match`) against a reference matcher written
 * here as a plain recursive reading of Go's grammar and semantics
 * (https://github.com/golang/go/blob/master/src/path/filepath/match.go):
 *
 *   pattern: { term }
 *   term:    '*' | '?' | '[' [ '^' ] { range } ']' | '\\' c | c (any char but those)
 *   range:   c | c '-' c   (c may be '\\'-escaped; a bare '-' or ']' is an error)
 *
 * `*` is any run of non-`/` characters, `?` one non-`/` character, a class one character in
 * (or, with `^`, not in) its ranges; a malformed pattern is an error wherever it is malformed
 * (Go checks the rest of the pattern before answering false). Names are single path
 * components, as resolve-sources passes them, so they never hold `/`.
 *
 * One Go quirk is left out on purpose: Go's `*` skips bytes, so `*??` matches the one-rune
 * name "日" by reading two halves of its UTF-8 encoding. strata matches characters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goMatch } from '../../../core/context/go-match.js';
import { openContext } from '../../../core/context/index.js';
import { InvalidInputError } from '../../../core/oci/errors.js';
import { makeTree } from './helpers.js';

type Term =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'char'; c: string }
  | { kind: 'class'; negated: boolean; ranges: Array<[number, number]> };

/** Parses a pattern into terms, or 'bad' where Go answers ErrBadPattern. */
function parse(pattern: string): Term[] | 'bad' {
  const p = Array.from(pattern);
  const terms: Term[] = [];
  let i = 0;
  // One class item: a character, maybe escaped, that must not be '-' or ']' and must be
  // followed by more of the pattern (Go `getEsc`).
  const item = (): number | 'bad' => {
    let c = p[i];
    if (c === undefined || c === '-' || c === ']') return 'bad';
    if (c === '\\') c = p[++i];
    if (c === undefined) return 'bad';
    i++;
    if (i >= p.length) return 'bad';
    return c.codePointAt(0)!;
  };
  while (i < p.length) {
    const c = p[i++];
    if (c === '*') terms.push({ kind: 'star' });
    else if (c === '?') terms.push({ kind: 'any' });
    else if (c === '\\') {
      if (i >= p.length) return 'bad';
      terms.push({ kind: 'char', c: p[i++] });
    } else if (c === '[') {
      const negated = p[i] === '^';
      if (negated) i++;
      const ranges: Array<[number, number]> = [];
      while (!(p[i] === ']' && ranges.length > 0)) {
        const lo = item();
        if (lo === 'bad') return 'bad';
        let hi = lo;
        if (p[i] === '-') {
          i++;
          const h = item();
          if (h === 'bad') return 'bad';
          hi = h;
        }
        ranges.push([lo, hi]);
      }
      i++;
      terms.push({ kind: 'class', negated, ranges });
    } else terms.push({ kind: 'char', c });
  }
  return terms;
}

function matchTerms(terms: Term[], name: string[]): boolean {
  if (terms.length === 0) return name.length === 0;
  const [t, ...rest] = terms;
  if (t.kind === 'star')
    return matchTerms(rest, name) || (name.length > 0 && name[0] !== '/' && matchTerms(terms, name.slice(1)));
  if (name.length === 0) return false;
  const [c, ...tail] = name;
  let ok: boolean;
  if (t.kind === 'any') ok = c !== '/';
  else if (t.kind === 'char') ok = c === t.c;
  else {
    const r = c.codePointAt(0)!;
    ok = t.ranges.some(([lo, hi]) => lo <= r && r <= hi) !== t.negated;
  }
  return ok && matchTerms(rest, tail);
}

function reference(pattern: string, name: string): boolean | 'bad' {
  const terms = parse(pattern);
  return terms === 'bad' ? 'bad' : matchTerms(terms, Array.from(name));
}

function actual(pattern: string, name: string): boolean | 'bad' {
  try {
    return goMatch(pattern, name);
  } catch (err) {
    if (err instanceof InvalidInputError) return 'bad';
    throw err;
  }
}

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, k) => String.fromCharCode(0x20 + k));
const NON_ASCII = ['é', 'ß', '日', '😀', '\u00a0'];
const CHARS = [...PRINTABLE, ...NON_ASCII];
const NAME_CHARS = CHARS.filter((c) => c !== '/');

/** Patterns that put `c` in every position the grammar has: literal, escaped, in classes, at range ends. */
function patternsAround(c: string): string[] {
  return [
    c,
    `\\${c}`,
    `${c}*`,
    `*${c}`,
    `?${c}`,
    `a${c}b*`,
    `[${c}]`,
    `[^${c}]`,
    `[\\${c}]`,
    `[^\\${c}]`,
    `[${c}-~]`,
    `[ -${c}]`,
    `[\\${c}-\\${c}]`,
    `[a${c}]`,
    `[${c}a]*`,
    `[${c}`,
    `${c}[`,
  ];
}

describe('goMatch', () => {
  it('matches package-lock.json* (a wildcard pattern holding "-" used to be an invalid regexp)', () => {
    expect(goMatch('package-lock.json*', 'package-lock.json')).toBe(true);
    expect(goMatch('package-lock.json*', 'package.json')).toBe(false);
    expect(goMatch('yarn-*.lock', 'yarn-1.lock')).toBe(true);
    expect(goMatch('[a-c]-[x-z]', 'b-y')).toBe(true);
  });

  it('agrees with the reference for every printable ASCII character (and some others) in every position', () => {
    const mismatches: string[] = [];
    for (const c of CHARS)
      for (const pattern of patternsAround(c))
        for (const name of [...NAME_CHARS, `${c}${c}`, `a${c}b`, `a${c}bcd`, '']) {
          if (name.includes('/')) continue;
          const want = reference(pattern, name);
          const got = actual(pattern, name);
          if (got !== want)
            mismatches.push(`${JSON.stringify(pattern)} ~ ${JSON.stringify(name)}: ${got}, want ${want}`);
        }
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it('agrees with the reference on random patterns and names', () => {
    const ch = fc.constantFrom(...CHARS);
    const nameCh = fc.constantFrom(...NAME_CHARS);
    // Tokens weighted towards the grammar's special characters so classes, ranges and
    // escapes (well-formed and not) are common.
    const token = fc.oneof(
      { arbitrary: ch, weight: 4 },
      { arbitrary: fc.constantFrom('*', '?', '[', ']', '-', '^', '\\'), weight: 3 },
      { arbitrary: ch.map((c) => `\\${c}`), weight: 1 },
      {
        arbitrary: fc
          .tuple(fc.boolean(), fc.array(fc.tuple(ch, fc.option(ch)), { minLength: 1, maxLength: 3 }))
          .map(
            ([neg, items]) =>
              `[${neg ? '^' : ''}${items.map(([lo, hi]) => (hi === null ? lo : `${lo}-${hi}`)).join('')}]`,
          ),
        weight: 2,
      },
    );
    const pattern = fc.array(token, { maxLength: 6 }).map((ts) => ts.join(''));
    // Names built from the pattern's own characters match far more often than random ones.
    const nameFor = (p: string) =>
      fc.array(fc.oneof(nameCh, fc.constantFrom(...Array.from(p).filter((c) => c !== '/'), 'a')), {
        maxLength: 8,
      });
    fc.assert(
      fc.property(
        pattern.chain((p) => fc.tuple(fc.constant(p), nameFor(p))),
        ([p, name]) => {
          const n = name.join('');
          expect(actual(p, n)).toBe(reference(p, n));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('COPY sources with "-" in a wildcard', () => {
  it('resolves package-lock.json* (the crash on real Dockerfiles)', async () => {
    const dir = await makeTree({ 'package.json': '{}', 'package-lock.json': '{}', 'index.js': '' });
    const ctx = await openContext(dir);
    const set = await ctx.resolveSources(['package.json', 'package-lock.json*']);
    expect(set.matches.map((m) => m.path)).toEqual(['package.json', 'package-lock.json']);
  });
});
