/**
 * Parses `WWW-Authenticate` (RFC 7235) as registries send it (formats.md 5.2):
 *   Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"
 * Parameter values may contain commas inside quotes, so this is a small tokenizer rather
 * than a split on ','. Several challenges in one header are returned in order.
 */

export interface Challenge {
  /** Lower-cased scheme: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lower-cased; values unquoted and unescaped. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let s = header;
  let current: Challenge | undefined;
  for (;;) {
    s = s.replace(/^[\s,]+/, '');
    if (s === '') break;
    const tok = TOKEN.exec(s);
    if (tok === null) break; // garbage: stop rather than guess
    const word = tok[0];
    const after = s.slice(word.length).replace(/^\s*/, '');
    if (after.startsWith('=') && current !== undefined && !after.startsWith('==')) {
      // name=value parameter of the current challenge.
      let rest = after.slice(1).replace(/^\s*/, '');
      let value: string;
      if (rest.startsWith('"')) {
        value = '';
        let i = 1;
        for (; i < rest.length && rest[i] !== '"'; i++) {
          if (rest[i] === '\\' && i + 1 < rest.length) i++;
          value += rest[i];
        }
        rest = rest.slice(i + 1);
      } else {
        const m = /^[^,\s]*/.exec(rest)!;
        value = m[0];
        rest = rest.slice(value.length);
      }
      current.params[word.toLowerCase()] = value;
      s = rest;
      continue;
    }
    // A new challenge (scheme), possibly followed by a token68 we ignore.
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
    s = after;
    const t68 = /^[A-Za-z0-9\-._~+/]+=*(?=\s*(,|$))/.exec(s);
    if (t68 !== null && !s.slice(t68[0].length).trimStart().startsWith('=')) s = s.slice(t68[0].length);
  }
  return out;
}
