/**
 * Go's `strconv.Quote`, needed to reproduce BuildKit's golden AST dumps byte for byte.
 */

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols, and ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

const SHORT: Record<number, string> = {
  7: '\\a',
  8: '\\b',
  12: '\\f',
  10: '\\n',
  13: '\\r',
  9: '\\t',
  11: '\\v',
};

/** Double-quoted Go string literal for `s`, escaping exactly what Go escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (SHORT[cp]) out += SHORT[cp];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0xd800 || cp > 0xdfff ? PRINTABLE.test(ch) : false) out += ch;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

/** Go `%q` of a string slice: `["a" "b"]`. */
export function goQuoteList(items: string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
