/**
 * A small layered layout for the build picture, so the HTML needs no graphviz: stages go in
 * columns by dependency depth (a stage sits one column right of the deepest stage it reads),
 * stages sharing a column stack top to bottom, and steps stack inside their stage. Cross-stage
 * edges therefore always run left to right and never cross a cluster's own chain.
 */
import type { GraphModel } from './graph-model.js';

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: Record<string, Box>;
  clusters: Record<number, Box>;
  /** SVG path data per edge, in model.edges order. */
  edges: string[];
}

export const NODE_W = 320;
export const NODE_H = 40;
const GAP_Y = 16;
const HEADER = 34;
const PAD = 14;
const COL_GAP = 90;
const CLUSTER_GAP = 30;
const MARGIN = 20;

export function layoutGraph(model: GraphModel): GraphLayout {
  const depth = new Map<number, number>();
  for (const c of model.clusters) {
    // Clusters come dependencies first (the planner's order), so deps already have a depth.
    const d = Math.max(-1, ...c.deps.map((i) => depth.get(i) ?? -1)) + 1;
    depth.set(c.index, d);
  }
  const columns = new Map<number, number[]>();
  for (const c of model.clusters) {
    const d = depth.get(c.index) ?? 0;
    columns.set(d, [...(columns.get(d) ?? []), c.index]);
  }
  const byIndex = new Map(model.clusters.map((c) => [c.index, c]));
  const nodes: Record<string, Box> = {};
  const clusters: Record<number, Box> = {};
  let height = 0;
  const colW = NODE_W + 2 * PAD;
  for (const [d, list] of columns) {
    const x = MARGIN + d * (colW + COL_GAP);
    let y = MARGIN;
    for (const ci of list) {
      const c = byIndex.get(ci);
      if (!c) continue;
      const h = HEADER + c.nodes.length * (NODE_H + GAP_Y) - GAP_Y + PAD;
      clusters[ci] = { x, y, w: colW, h };
      c.nodes.forEach((id, k) => {
        nodes[id] = { x: x + PAD, y: y + HEADER + k * (NODE_H + GAP_Y), w: NODE_W, h: NODE_H };
      });
      y += h + CLUSTER_GAP;
    }
    height = Math.max(height, y - CLUSTER_GAP + MARGIN);
  }
  const width = MARGIN * 2 + columns.size * colW + Math.max(0, columns.size - 1) * COL_GAP;
  const edges = model.edges.map((e) => {
    const a = nodes[e.from];
    const b = nodes[e.to];
    if (!a || !b) return '';
    if (e.kind === 'chain') return `M${a.x + a.w / 2},${a.y + a.h} L${b.x + b.w / 2},${b.y}`;
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = b.x;
    const y2 = b.y + b.h / 2;
    const bend = Math.max(40, (x2 - x1) / 2);
    return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
  });
  return { width, height: Math.max(height, 2 * MARGIN), nodes, clusters, edges };
}
