import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cleanPath,
  IgnorePatternError,
  PatternMatcher,
  readIgnoreFile,
} from '../../../frontend/dockerignore/index.js';

describe('readIgnoreFile', () => {
  it('drops a BOM and CRLF endings, keeps indented #, cleans and unroots', () => {
    const text = '\uFEFF# comment\r\n  #not-a-comment\r\n./a//b/../c/\r\n/\r\n!  /keep \r\n\r\n\t\n';
    expect(readIgnoreFile(text)).toEqual(['#not-a-comment', 'a/c', '/', '!keep']);
  });

  it('returns nothing for an empty file', () => {
    expect(readIgnoreFile('')).toEqual([]);
  });
});

describe('cleanPath', () => {
  it('follows Go filepath.Clean', () => {
    expect(cleanPath('')).toBe('.');
    expect(cleanPath('./')).toBe('.');
    expect(cleanPath('a/./b/')).toBe('a/b');
    expect(cleanPath('../a/..')).toBe('..');
    expect(cleanPath('/../a')).toBe('/a');
    expect(cleanPath('a/b/../../..')).toBe('..');
  });
});

describe('PatternMatcher', () => {
  it('never excludes the context root', () => {
    const m = new PatternMatcher(['**', '*', '.']);
    expect(m.matches('.')).toBe(false);
    expect(m.matches('')).toBe(false);
    expect(m.matches('x')).toBe(true);
  });

  it('re-includes with exceptions and lets later patterns win', () => {
    const m = new PatternMatcher(['docs', '!docs/README.md', 'docs/README.md.bak', '*.log', '!keep.log']);
    expect(m.exclusions).toBe(true);
    expect(m.patterns).toEqual(['docs', '!docs/README.md', 'docs/README.md.bak', '*.log', '!keep.log']);
    expect(m.matches('docs/a/b.txt')).toBe(true);
    expect(m.matches('docs/README.md')).toBe(false);
    expect(m.matches('docs/README.md.bak')).toBe(true);
    expect(m.matches('x.log')).toBe(true);
    expect(m.matches('keep.log')).toBe(false);
    expect(m.matches('sub/x.log')).toBe(false);
  });

  it('reports malformed patterns at construction with the pattern named', () => {
    expect(() => new PatternMatcher(['ok', '!'])).toThrow(
      'parse ignore pattern "!": illegal exclusion pattern',
    );
    expect(() => new PatternMatcher(['a[b'])).toThrow(IgnorePatternError);
    expect(() => new PatternMatcher(['[z-a]'])).toThrow(/invalid character class range/);
  });

  it('treats regexp characters and braces literally', () => {
    const m = new PatternMatcher(['{a,b}.txt', 'x+y', 'p|q']);
    expect(m.matches('{a,b}.txt')).toBe(true);
    expect(m.matches('a.txt')).toBe(false);
    expect(m.matches('x+y')).toBe(true);
    expect(m.matches('xxy')).toBe(false);
    expect(m.matches('p|q')).toBe(true);
  });

  it('matches dotfiles with * (unlike minimatch) and classes by code point', () => {
    const m = new PatternMatcher(['*.env', 'f[α-ω]']);
    expect(m.matches('.env')).toBe(true);
    expect(m.matches('fβ')).toBe(true);
    expect(m.matches('fb')).toBe(false);
  });

  it('does not let ** cross a newline in a file name (Go regexp `.`)', () => {
    const m = new PatternMatcher(['**/*.txt']);
    expect(m.matches('a\nb/c.txt')).toBe(false);
    expect(m.matches('a b/c.txt')).toBe(true);
  });

  it('matchesUsingParentResults agrees with matches on a top-down walk', () => {
    expect(new PatternMatcher(['a/b', '!a']).matches('a/b')).toBe(false);
    const seg = fc.constantFrom('a', 'b', '*', '?', 'a*', '**', '[ab]');
    const patternArb = fc
      .tuple(fc.boolean(), fc.array(seg, { minLength: 1, maxLength: 3 }))
      .map(([not, segs]) => (not ? '!' : '') + segs.join('/'));
    const pathArb = fc.array(fc.constantFrom('a', 'b', 'ab'), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(fc.array(patternArb, { minLength: 1, maxLength: 4 }), pathArb, (patterns, parts) => {
        const m = new PatternMatcher(patterns);
        let info: ReturnType<PatternMatcher['matchesUsingParentResults']>['info'] | undefined;
        for (let i = 1; i <= parts.length; i++) {
          const path = parts.slice(0, i).join('/');
          const step = m.matchesUsingParentResults(path, info);
          expect(step.matched).toBe(m.matches(path));
          info = step.info;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('matchesUsingParentResults rejects info from another matcher', () => {
    const info = new PatternMatcher(['a', 'b']).matchesUsingParentResults('a').info;
    expect(() => new PatternMatcher(['a']).matchesUsingParentResults('a/b', info)).toThrow(RangeError);
  });
});

describe('canSkipDir', () => {
  it('skips excluded directories when no exception can reach inside', () => {
    const m = new PatternMatcher(['node_modules', 'build', '!build/keep', '!src/*/gen']);
    expect(m.canSkipDir('node_modules')).toBe(true);
    expect(m.canSkipDir('build')).toBe(false);
    expect(m.canSkipDir('src')).toBe(false); // not excluded at all
  });

  it('is conservative with ** and classes in exceptions', () => {
    expect(new PatternMatcher(['vendor', '!**/LICENSE']).canSkipDir('vendor')).toBe(false);
    expect(new PatternMatcher(['vendor', '![v]endor/x']).canSkipDir('vendor')).toBe(false);
    expect(new PatternMatcher(['vendor', '!src/**/x']).canSkipDir('vendor')).toBe(true);
    expect(new PatternMatcher(['*', '!*/keep']).canSkipDir('a')).toBe(false);
    expect(new PatternMatcher(['*', '!*/keep']).canSkipDir('a/b')).toBe(true);
    expect(new PatternMatcher(['a', '!a']).canSkipDir('a')).toBe(false);
  });

  // Soundness: whenever a directory may be skipped, every path below it is excluded.
  it('never skips a directory that holds an included path', () => {
    const seg = fc.constantFrom('a', 'b', 'ab', '*', '?', 'a*', '**', '[ab]');
    const patternArb = fc
      .tuple(fc.boolean(), fc.array(seg, { minLength: 1, maxLength: 3 }))
      .map(([not, segs]) => (not ? '!' : '') + segs.join('/'));
    const name = fc.constantFrom('a', 'b', 'ab', 'ba');
    const pathArb = fc.array(name, { minLength: 2, maxLength: 4 });
    fc.assert(
      fc.property(
        fc.array(patternArb, { minLength: 1, maxLength: 4 }),
        pathArb,
        fc.nat(),
        (patterns, parts, cut) => {
          const m = new PatternMatcher(patterns);
          const dir = parts.slice(0, 1 + (cut % (parts.length - 1))).join('/');
          if (m.canSkipDir(dir)) expect(m.matches(parts.join('/'))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
