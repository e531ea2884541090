/**
 * Go `filepath.Match` for one path component, as COPY/ADD source wildcards use it (BuildKit
 * `copy.ResolveWildcards` matches component by component). `*` and `?` never match `/`;
 * `[...]`/`[^...]` are classes with `lo-hi` ranges; `\` escapes the next character.
 * A malformed pattern (unclosed `[`, empty class, trailing `\`) is an error, as in Go.
 */
import { InvalidInputError } from '../oci/errors.js';

const cache = new Map<string, RegExp>();

/** True when `s` holds an unescaped `*`, `?` or `[` (BuildKit `containsWildcards`). */
export function hasWildcard(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

/** Removes the escaping backslashes from a component without wildcards. */
export function unescapeComponent(s: string): string {
  return s.replace(/\\(.)/gs, '$1');
}

/**
 * Matches `name` (one component, no `/`) against `pattern`.
 * @throws InvalidInputError for a malformed pattern.
 */
export function goMatch(pattern: string, name: string): boolean {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = compile(pattern);
    cache.set(pattern, re);
  }
  return re.test(name);
}

/**
 * One code point as a regexp literal, valid both inside and outside a class. A `\u{...}`
 * escape rather than a backslash before "special" characters: under the `u` flag an
 * identity escape of anything but a syntax character is an error (`\-` outside a class
 * made `package-lock.json*` crash the build), and a list of which characters need one is
 * one more thing to get wrong.
 */
function escapeRe(c: string): string {
  return `\\u{${c.codePointAt(0)!.toString(16)}}`;
}

function bad(pattern: string): InvalidInputError {
  return new InvalidInputError(`match pattern: syntax error in pattern ${JSON.stringify(pattern)}`);
}

function compile(pattern: string): RegExp {
  const chars = Array.from(pattern);
  let out = '^';
  let i = 0;
  while (i < chars.length) {
    const c = chars[i];
    if (c === '*') {
      out += '[^/]*';
      i++;
    } else if (c === '?') {
      out += '[^/]';
      i++;
    } else if (c === '\\') {
      if (i + 1 >= chars.length) throw bad(pattern);
      out += escapeRe(chars[i + 1]);
      i += 2;
    } else if (c === '[') {
      i++;
      let negate = false;
      if (chars[i] === '^') {
        negate = true;
        i++;
      }
      const ranges: string[] = [];
      let first = true;
      for (;;) {
        if (i >= chars.length) throw bad(pattern);
        if (chars[i] === ']' && !first) {
          i++;
          break;
        }
        first = false;
        const lo = classChar(chars, i, pattern);
        i = lo.next;
        let hi = lo.ch;
        if (chars[i] === '-') {
          const h = classChar(chars, i + 1, pattern);
          hi = h.ch;
          i = h.next;
        }
        // Go accepts a reversed range and it simply never matches; a JS class would throw.
        if (lo.ch.codePointAt(0)! <= hi.codePointAt(0)!) ranges.push(`${escapeRe(lo.ch)}-${escapeRe(hi)}`);
      }
      if (ranges.length === 0) out += negate ? '[^/]' : '(?!)';
      else out += `[${negate ? '^/' : ''}${ranges.join('')}]`;
    } else {
      out += escapeRe(c);
      i++;
    }
  }
  return new RegExp(`${out}$`, 'su');
}

function classChar(chars: string[], i: number, pattern: string): { ch: string; next: number } {
  const c = chars[i];
  if (c === undefined || c === '-' || c === ']') throw bad(pattern);
  if (c === '\\') {
    if (i + 1 >= chars.length) throw bad(pattern);
    return { ch: chars[i + 1], next: i + 2 };
  }
  return { ch: c, next: i + 1 };
}
