/**
 * The value side of `${v#p}`, `${v##p}`, `${v%p}`, `${v%%p}`, `${v/p/r}` and `${v//p/r}`,
 * with BuildKit's results (see shell-pattern.ts for the pattern language).
 */
import { ShellPattern } from './shell-pattern.js';

/** `${v#p}` (shortest) / `${v##p}` (longest): drop the matching prefix, if any. */
export function trimPrefix(pattern: string, value: string, longest: boolean): string {
  const chars = Array.from(value);
  const n = ShellPattern.parse(pattern).matchPrefix(chars, longest);
  return n < 0 ? value : chars.slice(n).join('');
}

/** `${v%p}` (shortest) / `${v%%p}` (longest): drop the matching suffix, if any. */
export function trimSuffix(pattern: string, value: string, longest: boolean): string {
  // Matching the reversed pattern against the reversed value turns the rightmost search
  // into a leftmost one (BuildKit does the same with its regexp).
  const reversed = Array.from(value).reverse();
  const n = ShellPattern.parse(pattern).reversed().matchPrefix(reversed, longest);
  return n < 0 ? value : reversed.slice(n).reverse().join('');
}

/**
 * `${v/p/r}`: replace the first match, `r` inserted as is. `${v//p/r}`: replace every
 * match the way Go's `Regexp.ReplaceAllString` does: an empty match right after a match is
 * skipped, and `$0`/`${0}` in `r` stand for the matched text while other `$name`s expand
 * to nothing (`$$` is a `$`), because BuildKit hands `r` to ReplaceAllString as a template.
 */
export function replacePattern(pattern: string, value: string, replacement: string, all: boolean): string {
  const pat = ShellPattern.parse(pattern);
  const chars = Array.from(value);
  if (!all) {
    const m = pat.search(chars, 0);
    if (!m) return value;
    return chars.slice(0, m[0]).join('') + replacement + chars.slice(m[1]).join('');
  }
  let out = '';
  let lastEnd = 0;
  let searchPos = 0;
  while (searchPos <= chars.length) {
    const m = pat.search(chars, searchPos);
    if (!m) break;
    out += chars.slice(lastEnd, m[0]).join('');
    if (m[1] > lastEnd || m[0] === 0) out += expandTemplate(replacement, chars.slice(m[0], m[1]).join(''));
    lastEnd = m[1];
    // Always advance by at least one character so empty matches cannot loop.
    searchPos = Math.max(searchPos + 1, m[1]);
  }
  return out + chars.slice(lastEnd).join('');
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Go's `Regexp.Expand` for a regexp whose only group is the whole match (group 0). */
function expandTemplate(template: string, match: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) return out + template.slice(i);
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const ref = readReference(template, i);
    if (!ref) {
      // Malformed reference: Go keeps the `$` as text.
      out += '$';
      continue;
    }
    if (ref.name === '0') out += match;
    i = ref.end;
  }
}

function readReference(s: string, at: number): { name: string; end: number } | undefined {
  const brace = s[at] === '{';
  let i = brace ? at + 1 : at;
  const start = i;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === start) return undefined;
  const name = s.slice(start, i);
  if (brace) {
    if (s[i] !== '}') return undefined;
    i++;
  }
  return { name, end: i };
}
