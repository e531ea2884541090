// Table tests from moby/patternmatcher and its ignorefile package (shared/conformance, see
// its README for how upstream uses each file).
import { expect, it } from 'vitest';
import {
  IgnorePattern,
  IgnorePatternError,
  PatternMatcher,
  readIgnoreFile,
} from '../../../frontend/dockerignore/index.js';
import { describeConformance, readConformanceJson } from '../../helpers/conformance.js';

const load = <T>(name: string): T => readConformanceJson<T>(name);

interface MatchCase {
  pattern?: string;
  patterns?: string[];
  path: string;
  match: boolean;
  error: boolean;
  semantics: string;
  platform?: string;
}

/** Builds the matcher and matches; an upstream error may come from either step. */
function outcome(patterns: string[], path: string): boolean | 'error' {
  try {
    return new PatternMatcher(patterns).matches(path);
  } catch (err) {
    expect(err).toBeInstanceOf(IgnorePatternError);
    expect((err as IgnorePatternError).code).toBe('E_PARSE');
    return 'error';
  }
}

describeConformance('patternmatcher-cases (one pattern each)', () => {
  const cases = load<MatchCase[]>('patternmatcher-cases.json');
  console.log(`patternmatcher-cases: ${cases.length} rows`);
  // The README notes every row, including the deprecated-`Matches` ones, holds under
  // MatchesOrParentMatches, which is what PatternMatcher.matches implements.
  it.each(cases)('$pattern vs $path', (c) => {
    expect(outcome([c.pattern!], c.path)).toBe(c.error ? 'error' : c.match);
  });

  it.each(cases.filter((c) => !c.error))('$pattern vs $path, walking with parent results', (c) => {
    const m = new PatternMatcher([c.pattern!]);
    // Walk from the root down so every level uses its parent's results, as a walker would.
    const parts = c.path.split('/');
    let info: ReturnType<PatternMatcher['matchesUsingParentResults']>['info'] | undefined;
    let matched = false;
    for (let i = 1; i <= parts.length; i++) {
      ({ matched, info } = m.matchesUsingParentResults(parts.slice(0, i).join('/'), info));
    }
    expect(matched).toBe(c.match);
  });
});

describeConformance('patternmatcher-multi-cases (ordered patterns)', () => {
  const cases = load<MatchCase[]>('patternmatcher-multi-cases.json');
  console.log(`patternmatcher-multi-cases: ${cases.length} rows`);
  it.each(cases)('$patterns vs $path', (c) => {
    expect(outcome(c.patterns!, c.path)).toBe(c.error ? 'error' : c.match);
  });
});

describeConformance('dockerignore-readall-cases', () => {
  const cases = load<{ content: string; patterns: string[] }[]>('dockerignore-readall-cases.json');
  console.log(`dockerignore-readall-cases: ${cases.length} rows`);
  it.each(cases)('$content', (c) => {
    expect(readIgnoreFile(c.content)).toEqual(c.patterns);
  });
});

describeConformance('patternmatcher-compile-cases (match strategy)', () => {
  const cases = load<{ pattern: string; matchType: string; regexp: string | null }[]>(
    'patternmatcher-compile-cases.json',
  );
  console.log(`patternmatcher-compile-cases: ${cases.length} rows`);
  it.each(cases)('$pattern is a $matchType', (c) => {
    expect(`${new IgnorePattern(c.pattern, false).kind}Match`).toBe(c.matchType);
  });
});
