/**
 * BuildKit's UndefinedVar, the cheap and sure part of it: only in stages whose whole
 * environment is known from the Dockerfile (built on `scratch`, directly or through other
 * stages). A stage on an image inherits that image's ENV, which lint does not read, so
 * guessing there would cry wolf about `$NODE_VERSION` and friends.
 */
import type { BuildGraph } from '../graph/types.js';
import type { Node } from '../parser/ast.js';
import type { LintLayout } from './lint-stages.js';
import type { Finding } from './lint-warning.js';

/** Instructions whose words the frontend expands (RUN, CMD, ENTRYPOINT are left to the shell). */
const EXPANDED = new Set([
  'add',
  'copy',
  'env',
  'expose',
  'label',
  'stopsignal',
  'user',
  'volume',
  'workdir',
  'arg',
]);

/** Always present: BuildKit gives a scratch image a default PATH. */
const ALWAYS = new Set(['PATH']);

/**
 * Names a word refers to with `$X` or `${X}`; `${X:-d}`-style references carry a default and
 * are not reported, nor are escaped `\$` or anything inside single quotes.
 */
export function referencedVars(text: string, escapeChar = '\\'): string[] {
  const out: string[] = [];
  let quote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === escapeChar) {
      i++;
      continue;
    }
    if (c === "'") quote = !quote;
    if (quote || c !== '$') continue;
    const braced = /^\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}/.exec(text.slice(i + 1));
    if (braced) {
      if (braced[2] === '') out.push(braced[1]);
      i += braced[0].length;
      continue;
    }
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (bare) {
      out.push(bare[0]);
      i += bare[0].length;
    }
  }
  return out;
}

function declares(n: Node): string[] {
  if (n.keyword === 'arg') return n.args.map((a) => a.split('=')[0]);
  if (n.keyword === 'env') {
    const rest = n.original.replace(/^\s*\S+\s+/, '');
    const first = rest.split(/\s+/)[0] ?? '';
    if (!first.includes('=')) return [first];
    return (rest.match(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g) ?? []).map((m) => m.trim().slice(0, -1));
  }
  return [];
}

export function undefinedVarRule(layout: LintLayout, escapeChar: string, graph?: BuildGraph): Finding[] {
  const out: Finding[] = [];
  // Known environment at the end of each stage, by stage name and index; undefined = unknown.
  const envAtEnd = new Map<string, Set<string> | undefined>();
  const graphBase = new Map(graph?.stages.map((s) => [s.range.start.line, s.base]) ?? []);
  layout.stages.forEach((stage, i) => {
    const gb = graphBase.get(stage.from.range.start.line);
    let known: Set<string> | undefined;
    if (gb?.kind === 'scratch' || (!gb && stage.base.toLowerCase() === 'scratch')) known = new Set(ALWAYS);
    else if (gb?.kind === 'stage') known = cloneOrUndefined(envAtEnd.get(String(gb.index)));
    else if (!gb && envAtEnd.has(stage.base.toLowerCase()))
      known = cloneOrUndefined(envAtEnd.get(stage.base.toLowerCase()));
    const args = new Set<string>();
    for (const n of stage.nodes) {
      if (known && EXPANDED.has(n.keyword)) {
        const text = [...n.flags, ...n.args].join(' ');
        for (const name of new Set(referencedVars(text, escapeChar))) {
          if (known.has(name) || args.has(name)) continue;
          out.push({
            code: 'UndefinedVar',
            message: `Usage of undefined variable '$${name}'`,
            fix: `declare it first (ARG ${name} or ENV ${name}=...), or give a default: \${${name}:-value}`,
            range: n.range,
          });
        }
      }
      for (const name of declares(n)) (n.keyword === 'arg' ? args : (known ?? new Set())).add(name);
    }
    // ARGs do not carry into stages built on this one; ENV does.
    envAtEnd.set(String(i), known);
    if (stage.name) envAtEnd.set(stage.name.toLowerCase(), known);
  });
  return out;
}

function cloneOrUndefined(s: Set<string> | undefined): Set<string> | undefined {
  return s ? new Set(s) : undefined;
}
