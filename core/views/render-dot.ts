/**
 * The build picture as graphviz DOT text (`strata graph --format dot | dot -Tsvg`): one
 * `cluster_N` subgraph per stage, filled boxes in the hit/miss/cascade/meta colours, the
 * reason as each node's tooltip, dashed edges for cross-stage reads.
 */
import { humanSize } from '../inspect/image-view.js';
import { STATUS_COLORS } from './graph-colors.js';
import type { GraphModel, GraphNode } from './graph-model.js';

/** A DOT double-quoted string: backslash, quote and newline escaped. */
export function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

function nodeLabel(n: GraphNode): string {
  const text = n.label.length > 60 ? `${n.label.slice(0, 59)}…` : n.label;
  const size = n.size !== undefined ? `\n${humanSize(n.size)}` : '';
  const tag = n.status === 'base' ? '' : `\n${n.status.toUpperCase()}`;
  return `${text}${tag}${size}`;
}

function tooltip(n: GraphNode): string {
  return [`line ${n.line}: ${n.reason}`, ...n.details.slice(0, 10).map((d) => `- ${d}`)].join('\n');
}

export function renderDot(model: GraphModel): string {
  const out: string[] = [];
  out.push('digraph strata {');
  out.push(
    `  label=${dotString(`${model.file}: ${model.summary.hit} hit, ${model.summary.miss} miss, ${model.summary.cascade} cascade`)};`,
  );
  out.push('  labelloc=t;');
  out.push('  rankdir=TB;');
  out.push('  compound=true;');
  out.push('  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=10];');
  out.push('  edge [color="#555555"];');
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  for (const c of model.clusters) {
    out.push(`  subgraph cluster_${c.index} {`);
    out.push(`    label=${dotString(`stage ${c.label} (from ${c.base})`)};`);
    out.push('    style="rounded";');
    out.push('    color="#9aa5b1";');
    for (const id of c.nodes) {
      const n = byId.get(id);
      if (!n) continue;
      const col = STATUS_COLORS[n.status];
      out.push(
        `    ${n.id} [label=${dotString(nodeLabel(n))}, tooltip=${dotString(tooltip(n))}, fillcolor="${col.fill}", color="${col.stroke}", fontcolor="${col.text}", class="${n.status}"];`,
      );
    }
    out.push('  }');
  }
  for (const e of model.edges) {
    const attrs =
      e.kind === 'chain'
        ? ''
        : ` [style=dashed, color="#4a6fa5", label=${dotString(e.kind === 'from' ? 'FROM' : e.kind === 'copy-from' ? 'COPY --from' : 'RUN --mount from')}, fontsize=9]`;
    out.push(`  ${e.from} -> ${e.to}${attrs};`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
