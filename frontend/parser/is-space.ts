/**
 * Go's `unicode.IsSpace` and the trimming/splitting helpers BuildKit's parser builds on it.
 * JavaScript's `\s` differs (it has U+FEFF, lacks U+0085), so the set is spelled out.
 */

/** True for the code points Go's `unicode.IsSpace` accepts. */
export function isSpace(ch: string): boolean {
  return isSpaceCode(ch.charCodeAt(0));
}

/** `isSpace` for one UTF-16 code unit (every Go space is a single unit). */
export function isSpaceCode(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/**
 * What Go's byte-wise `unicode.IsSpace(rune(b))` loops (flag extraction, HEALTHCHECK) see
 * for ASCII. Go would also split inside a UTF-8 sequence at bytes 0x85/0xA0; we do not
 * reproduce that mojibake and treat every non-ASCII character as part of a word.
 */
export function isAsciiSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** `strings.TrimLeftFunc(s, unicode.IsSpace)`. */
export function trimLeftSpace(s: string): string {
  const i = leadingSpace(s);
  return i === 0 ? s : s.slice(i);
}

/** How many leading characters of `s` `trimLeftSpace` would remove. */
export function leadingSpace(s: string): number {
  let i = 0;
  while (i < s.length && isSpaceCode(s.charCodeAt(i))) i++;
  return i;
}

/** `strings.TrimSpace(s)`. */
export function trimSpace(s: string): string {
  let end = s.length;
  while (end > 0 && isSpaceCode(s.charCodeAt(end - 1))) end--;
  let start = 0;
  while (start < end && isSpaceCode(s.charCodeAt(start))) start++;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** BuildKit's `reWhitespace`: the separators between FROM/EXPOSE/... words. */
export const WHITESPACE_RUN = /[\t\v\f\r ]+/;
