/**
 * One `.dockerignore` pattern, compiled the way moby/patternmatcher compiles it: an exact
 * string compare, a prefix compare (`dir/**`), a suffix compare (`**` + literal), or a
 * regular expression (`*` and `?` do not cross `/`, `**` crosses any number of dirs).
 *
 * Why a hand-written translation and not minimatch: minimatch is a different dialect on
 * exactly the points .dockerignore files rely on. Its `*` skips dotfiles unless `dot` is
 * set, it expands `{a,b}` braces and `+(..)` extglobs where patternmatcher treats those
 * characters literally, its `**` only works as a whole path segment (patternmatcher also
 * accepts `**` inside a segment, as in `a**` or `**file`), and it has its own idea of `!`.
 * Translating each pattern the way patternmatcher does keeps every row of its test table
 * true by construction.
 *
 * Deliberate differences from patternmatcher (all in inputs no real file uses): an escaped
 * letter or digit (`\d`, `\b`) is that literal character, not a Go regexp class or
 * assertion; a character class is read with Go `filepath.Match` grammar, so `[[:alpha:]]`
 * is not a POSIX class; and errors that Go reports only on first use (a reversed range such
 * as `[Local-Only]`) are thrown when the pattern is built.
 */
import { IgnorePatternError } from './ignore-pattern-error.js';

export type MatchKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** Characters that are literal in a glob but special in a regexp (patternmatcher escapes them). */
const REGEXP_ONLY = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);
/** Characters that need a backslash to be literal in a JavaScript `u` regexp. */
const JS_SPECIAL = new Set(['\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '$', '^', '/']);

export class IgnorePattern {
  /** The cleaned pattern without its `!`. */
  readonly text: string;
  /** True for a `!` exception, which re-includes what it matches. */
  readonly exclusion: boolean;
  readonly kind: MatchKind;
  /** The compiled regexp, for `regexp` patterns only. */
  readonly regexp: RegExp | undefined;

  /** `text` must be cleaned and stripped of `!`. Throws IgnorePatternError when malformed. */
  constructor(text: string, exclusion: boolean, original = text) {
    this.text = text;
    this.exclusion = exclusion;
    try {
      const { kind, source } = compile(Array.from(text));
      this.kind = kind;
      this.regexp = kind === 'regexp' ? new RegExp(source, 'u') : undefined;
    } catch (err) {
      throw new IgnorePatternError(original, err instanceof Error ? err.message : String(err), {
        cause: err,
      });
    }
  }

  /** Whether this pattern matches `path` itself (no parent matching). */
  test(path: string): boolean {
    switch (this.kind) {
      case 'exact':
        return path === this.text;
      case 'prefix':
        return path.startsWith(this.text.slice(0, -2));
      case 'suffix': {
        const suffix = this.text.slice(2);
        // `**/foo` also matches `foo` itself.
        return path.endsWith(suffix) || (suffix[0] === '/' && path === suffix.slice(1));
      }
      default:
        return this.regexp!.test(path);
    }
  }
}

function compile(chars: string[]): { kind: MatchKind; source: string } {
  let source = '^';
  let kind: MatchKind = 'exact';
  for (let i = 0, step = 0; i < chars.length; step++) {
    const ch = chars[i++];
    if (ch === '*') {
      if (chars[i] === '*') {
        i++;
        // `**/` is read as `**`.
        if (chars[i] === '/') i++;
        if (i >= chars.length) {
          if (kind === 'exact') kind = 'prefix';
          else {
            source += '[^\\n]*';
            kind = 'regexp';
          }
        } else {
          source += '(?:[^\\n]*/)?';
          kind = 'regexp';
        }
        // A leading `**` makes a suffix compare unless something later needs the regexp.
        if (step === 0) kind = 'suffix';
      } else {
        source += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      source += '[^/]';
      kind = 'regexp';
    } else if (REGEXP_ONLY.has(ch)) {
      source += `\\${ch}`;
    } else if (ch === '\\') {
      if (i >= chars.length) throw new Error('trailing backslash');
      source += literal(chars[i++]);
      kind = 'regexp';
    } else if (ch === '[') {
      const cls = readClass(chars, i - 1);
      source += cls.source;
      i = cls.end;
      kind = 'regexp';
    } else if (ch === ']') {
      source += '\\]';
      kind = 'regexp';
    } else if (ch === '^') {
      // patternmatcher passes `^` to the Go regexp unescaped, where it is a start anchor
      // (so `a^b` matches nothing); JavaScript reads it the same way.
      source += '^';
    } else {
      source += literal(ch);
    }
  }
  return { kind, source: `${source}$` };
}

function literal(ch: string): string {
  return JS_SPECIAL.has(ch) ? `\\${ch}` : ch;
}

/**
 * Reads a `[...]` class starting at `start` with Go `filepath.Match` grammar: optional `^`,
 * then one or more `c` or `lo-hi` items (each may be `\`-escaped) up to `]`.
 */
function readClass(chars: string[], start: number): { source: string; end: number } {
  let i = start + 1;
  const negated = chars[i] === '^';
  if (negated) i++;
  let items = '';
  let count = 0;
  const item = (): string => {
    let c = chars[i];
    if (c === undefined || c === '-' || c === ']') throw new Error('syntax error in pattern');
    if (c === '\\') {
      c = chars[++i];
      if (c === undefined) throw new Error('syntax error in pattern');
    }
    i++;
    // An item must be followed by more of the class.
    if (i >= chars.length) throw new Error('syntax error in pattern');
    return c;
  };
  for (;;) {
    if (chars[i] === ']' && count > 0) return { source: `[${negated ? '^' : ''}${items}]`, end: i + 1 };
    const lo = item();
    let hi = lo;
    if (chars[i] === '-') {
      i++;
      hi = item();
    }
    if (lo.codePointAt(0)! > hi.codePointAt(0)!)
      throw new Error(`invalid character class range: ${lo}-${hi}`);
    items += lo === hi ? codePoint(lo) : `${codePoint(lo)}-${codePoint(hi)}`;
    count++;
  }
}

function codePoint(c: string): string {
  return `\\u{${c.codePointAt(0)!.toString(16)}}`;
}
