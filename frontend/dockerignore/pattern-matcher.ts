import { trimSpace } from '../shell/is-space.js';
import { cleanPath, dirPath } from './clean-path.js';
import { IgnorePattern } from './ignore-pattern.js';
import { IgnorePatternError } from './ignore-pattern-error.js';

/** Per-pattern results for a directory, handed down to its children during a walk. */
export interface MatchInfo {
  readonly parentMatched: readonly boolean[];
}

/**
 * Decides which context paths `.dockerignore` excludes, with moby/patternmatcher semantics
 * (`MatchesOrParentMatches`): patterns apply in order and the last one that applies wins;
 * an inclusion is only tried while the path is not yet excluded and a `!` exception only
 * while it is; a pattern also matches a path when it matches one of the path's parent
 * directories, so `docs` excludes `docs/a/b` and `!docs/README.md` brings one file back.
 *
 * Paths are `/`-separated and relative to the context root. Immutable after construction;
 * safe to share between concurrent walks.
 */
export class PatternMatcher {
  readonly #patterns: IgnorePattern[] = [];
  readonly #exclusions: boolean;

  /**
   * Compiles `patterns` (as `readIgnoreFile` returns them). Each is trimmed and cleaned;
   * blank ones are skipped. Throws IgnorePatternError on a lone `!` or a malformed pattern.
   */
  constructor(patterns: readonly string[]) {
    let exclusions = false;
    for (const original of patterns) {
      let p = trimSpace(original);
      if (p === '') continue;
      // Cleaned before the `!` is looked at, as patternmatcher does.
      p = cleanPath(p);
      const exclusion = p[0] === '!';
      if (exclusion) {
        if (p.length === 1) throw new IgnorePatternError(original, 'illegal exclusion pattern: "!"');
        p = p.slice(1);
        exclusions = true;
      }
      this.#patterns.push(new IgnorePattern(p, exclusion, original));
    }
    this.#exclusions = exclusions;
  }

  /** True when some pattern is a `!` exception. */
  get exclusions(): boolean {
    return this.#exclusions;
  }

  /** The active patterns, cleaned, exceptions with their leading `!`. */
  get patterns(): string[] {
    return this.#patterns.map((p) => (p.exclusion ? `!${p.text}` : p.text));
  }

  /**
   * True when `path` is excluded from the context. The path is cleaned first; the context
   * root (`.` or empty) is never excluded.
   */
  matches(path: string): boolean {
    const file = cleanPath(path);
    if (file === '.') return false;
    const parents = parentsOf(file);
    let matched = false;
    for (const pattern of this.#patterns) {
      if (pattern.exclusion !== matched) continue;
      if (pattern.test(file) || parents.some((dir) => pattern.test(dir))) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * `matches` for a top-down walk: pass the `info` returned for the parent directory (none
   * for entries at the root), and patterns already known to match an ancestor are not
   * re-tested, nor are the ancestors. `path` must be clean. Always the same answer as
   * `matches(path)`.
   *
   * Unlike patternmatcher's `MatchesUsingParentResults`, every pattern is evaluated at every
   * level, not only those the in-order state would consult: a pattern skipped at the parent
   * would otherwise be recorded as "no match" and miss a parent match later (`a/b`, `!a`
   * would then keep `a/b` excluded while `MatchesOrParentMatches` includes it).
   */
  matchesUsingParentResults(path: string, parent?: MatchInfo): { matched: boolean; info: MatchInfo } {
    const known = parent?.parentMatched;
    if (known && known.length !== this.#patterns.length) {
      throw new RangeError('match info: wrong number of values in parentMatched');
    }
    let parents: string[] | undefined;
    const results = this.#patterns.map((pattern, i) => {
      if (known) return known[i] || pattern.test(path);
      if (pattern.test(path)) return true;
      // Without the parent's results, test every parent directory.
      parents ??= parentsOf(path);
      return parents.some((dir) => pattern.test(dir));
    });
    let matched = false;
    for (const [i, pattern] of this.#patterns.entries()) {
      if (pattern.exclusion === matched && results[i]) matched = !pattern.exclusion;
    }
    return { matched, info: { parentMatched: results } };
  }

  /**
   * True when the walk may skip directory `dir` and everything below it: `dir` is excluded
   * and no `!` exception can match any path below it. Conservative: when unsure (an
   * exception with `**` or a class at or above that depth), it answers false.
   *
   * Why this is sound: a path below `dir` sees every inclusion that matched `dir` (through
   * parent matching), and if no exception can match anything below `dir`, exceptions see
   * the same results for it as for `dir`; so it ends up excluded too.
   */
  canSkipDir(dir: string): boolean {
    const clean = cleanPath(dir);
    if (!this.matches(clean)) return false;
    if (!this.#exclusions) return true;
    const dirSegments = clean.split('/');
    return this.#patterns.every((p) => !p.exclusion || !mayMatchBelow(p.text, dirSegments));
  }
}

/** The parent directories of a clean path, outermost first (`a/b/c` → `a`, `a/b`). */
function parentsOf(file: string): string[] {
  const parent = dirPath(file);
  if (parent === '.') return [];
  const parts = parent.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Could pattern `text` match some path strictly below the directory `dirSegments`? */
function mayMatchBelow(text: string, dirSegments: string[]): boolean {
  const segments = text.split('/');
  for (const [i, dirSegment] of dirSegments.entries()) {
    const seg = segments[i];
    // Every segment so far was a plain glob, so the pattern only matches paths this short.
    if (seg === undefined) return false;
    // `**` crosses directories and a class (or an escaped `/`) may match `/`: give up.
    if (seg.includes('**') || seg.includes('[') || seg.endsWith('\\')) return true;
    if (!new IgnorePattern(seg, false).test(dirSegment)) return false;
  }
  return segments.length > dirSegments.length;
}
