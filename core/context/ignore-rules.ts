/**
 * Adapts the frontend's .dockerignore matcher (moby/patternmatcher semantics) to the
 * PathFilter the walk uses. Also serves `COPY --exclude`, which BuildKit matches with the
 * same pattern engine.
 */
import { IgnorePatternError, PatternMatcher } from '../../frontend/dockerignore/index.js';
import { InvalidInputError } from '../oci/errors.js';
import type { PathFilter } from './resolve-sources.js';

/** @throws InvalidInputError for a malformed pattern (the frontend's error as cause). */
export function compileIgnore(patterns: readonly string[]): PathFilter {
  let m: PatternMatcher;
  try {
    m = new PatternMatcher(patterns);
  } catch (err) {
    if (err instanceof IgnorePatternError) {
      throw new InvalidInputError(`compile ignore patterns: ${err.message}`, { cause: err });
    }
    throw err;
  }
  return {
    matches: (p) => m.matches(p),
    canSkipDir: (d) => m.canSkipDir(d),
  };
}
