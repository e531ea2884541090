/**
 * The subset of Go templates people pass to `docker inspect --format`: field paths
 * (`{{.Config.Cmd}}`, `{{.RootFS.Layers}}`), `{{json .X}}`, `{{index .X "key"}}`,
 * `{{range .X}}...{{end}}` with `{{.}}`, and literal text. Values print as Go's fmt does
 * (`[a b]` for slices, `map[k:v]` for maps). Hand-written: no npm package implements Go's
 * text/template printing rules, and the subset is small.
 */
import { InvalidInputError } from '../oci/errors.js';

type Value = unknown;

function lookup(v: Value, path: string): Value {
  if (path === '.' || path === '') return v;
  let cur = v;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Go's %v formatting of decoded JSON values. */
export function goFormat(v: Value): string {
  if (v === null || v === undefined) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.keys(v as object)
      .sort()
      .map((k) => `${k}:${goFormat((v as Record<string, unknown>)[k])}`);
    return `map[${entries.join(' ')}]`;
  }
  return String(v);
}

function evalExpr(expr: string, dot: Value): Value {
  const words = expr.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  if (words.length === 0) return '';
  const arg = (w: string): Value =>
    w.startsWith('"') ? JSON.parse(w) : w.startsWith('.') ? lookup(dot, w) : w;
  switch (words[0]) {
    case 'json':
      return JSON.stringify(arg(words[1]) ?? null);
    case 'index': {
      let cur = arg(words[1]);
      for (const w of words.slice(2))
        cur = cur == null ? undefined : (cur as Record<string, unknown>)[String(arg(w))];
      return cur;
    }
    case 'len': {
      const x = arg(words[1]);
      return Array.isArray(x)
        ? x.length
        : x && typeof x === 'object'
          ? Object.keys(x).length
          : String(x ?? '').length;
    }
    default:
      if (words.length !== 1 || !words[0].startsWith('.'))
        throw new InvalidInputError(`format: unsupported template expression {{${expr}}}`);
      return lookup(dot, words[0]);
  }
}

export function renderTemplate(tpl: string, data: Value): string {
  const tokens = tpl.split(/(\{\{-?\s*.*?\s*-?\}\})/s);
  let pos = 0;
  const run = (dot: Value, stopAtEnd: boolean): string => {
    let out = '';
    while (pos < tokens.length) {
      const t = tokens[pos++];
      const m = /^\{\{-?\s*(.*?)\s*-?\}\}$/s.exec(t);
      if (!m) {
        out += t;
        continue;
      }
      const expr = m[1];
      if (expr === 'end') {
        if (!stopAtEnd) throw new InvalidInputError('format: unexpected {{end}}');
        return out;
      }
      if (expr.startsWith('range ')) {
        const coll = evalExpr(expr.slice(6), dot);
        const start = pos;
        const items = Array.isArray(coll)
          ? coll
          : coll && typeof coll === 'object'
            ? Object.values(coll)
            : [];
        if (items.length === 0) {
          run(undefined, true);
        }
        for (const item of items) {
          pos = start;
          out += run(item, true);
        }
        continue;
      }
      const v = evalExpr(expr, dot);
      out += typeof v === 'string' ? v : goFormat(v);
    }
    if (stopAtEnd) throw new InvalidInputError('format: missing {{end}}');
    return out;
  };
  return run(data, false);
}
