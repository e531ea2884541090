/**
 * The build as a picture's data: stages as clusters, each with its FROM node and its steps,
 * chain edges between consecutive steps and edges for cross-stage reads (FROM stage,
 * COPY --from, RUN --mount from=). Each step carries its decision as a colour class:
 * hit, miss, cascade (missed only because an earlier step did) or meta (no layer).
 * Built from a Plan, so `strata graph` needs no execution (a dry run is enough).
 */

import type { Digest } from '../oci/digest.js';
import { makesLayer } from '../plan/config-apply.js';
import type { Plan } from '../plan/types.js';

export type NodeStatus = 'base' | 'hit' | 'miss' | 'cascade' | 'pending' | 'meta';

export interface GraphNode {
  id: string;
  stage: number;
  /** -1 for the stage's FROM node. */
  step: number;
  /** The progress label (`[2/4] COPY . .`) or the FROM line. */
  label: string;
  kind: string;
  line: number;
  status: NodeStatus;
  /** For metadata steps: whether the (layer-less) step hit. */
  hit?: boolean;
  reason: string;
  details: string[];
  /** Uncompressed size of the layer the step will reuse, when known (hits). */
  size?: number;
}

export interface GraphCluster {
  index: number;
  label: string;
  base: string;
  /** Node ids, FROM first. */
  nodes: string[];
  /** Stages read by this one. */
  deps: number[];
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: 'chain' | 'from' | 'copy-from' | 'mount-from';
}

export interface GraphModel {
  file: string;
  clusters: GraphCluster[];
  nodes: GraphNode[];
  edges: GraphEdge[];
  summary: { steps: number; hit: number; miss: number; cascade: number; pending: number; meta: number };
}

/** `sizes`: uncompressed layer size by step key, for steps whose layer is already stored. */
export function graphModel(plan: Plan, sizes: ReadonlyMap<Digest, number> = new Map()): GraphModel {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const clusters: GraphCluster[] = [];
  const lastOf = new Map<number, string>();
  for (const ps of plan.stages) {
    const si = ps.stage.index;
    const baseId = `s${si}_from`;
    nodes.push({
      id: baseId,
      stage: si,
      step: -1,
      label: ps.stage.source.replace(/\s+/g, ' ').trim(),
      kind: 'from',
      line: ps.stage.range.start.line,
      status: 'base',
      reason: `from ${ps.baseDescription}`,
      details: [],
    });
    const ids = [baseId];
    if (ps.stage.base.kind === 'stage') {
      const src = lastOf.get(ps.stage.base.index);
      if (src) edges.push({ from: src, to: baseId, kind: 'from' });
    }
    let prev = baseId;
    for (const p of ps.steps) {
      const id = `s${si}_${p.step.index}`;
      const d = p.decision;
      const layer = makesLayer(p.step);
      const status: NodeStatus = !layer
        ? 'meta'
        : d.hit
          ? 'hit'
          : d.cause === 'pending'
            ? 'pending'
            : d.cause === 'parent'
              ? 'cascade'
              : 'miss';
      const size = p.key ? sizes.get(p.key) : undefined;
      nodes.push({
        id,
        stage: si,
        step: p.step.index,
        label: p.name,
        kind: p.step.instruction.kind,
        line: p.step.range.start.line,
        status,
        ...(layer ? {} : { hit: d.hit }),
        reason: d.reason,
        details: d.hit ? [] : d.details,
        ...(size !== undefined ? { size } : {}),
      });
      ids.push(id);
      edges.push({ from: prev, to: id, kind: 'chain' });
      const ins = p.step.instruction;
      if ((ins.kind === 'copy' || ins.kind === 'add') && ins.from?.kind === 'stage') {
        const src = lastOf.get(ins.from.index);
        if (src) edges.push({ from: src, to: id, kind: 'copy-from' });
      } else if (ins.kind === 'run') {
        for (const m of ins.mounts) {
          const src = m.from?.kind === 'stage' ? lastOf.get(m.from.index) : undefined;
          if (src) edges.push({ from: src, to: id, kind: 'mount-from' });
        }
      }
      prev = id;
    }
    lastOf.set(si, prev);
    clusters.push({ index: si, label: ps.label, base: ps.baseDescription, nodes: ids, deps: ps.stage.deps });
  }
  const steps = nodes.filter((n) => n.status !== 'base');
  const count = (s: NodeStatus) => steps.filter((n) => n.status === s).length;
  return {
    file: plan.graph.file,
    clusters,
    nodes,
    edges,
    summary: {
      steps: steps.length,
      hit: count('hit'),
      miss: count('miss'),
      cascade: count('cascade'),
      pending: count('pending'),
      meta: count('meta'),
    },
  };
}
