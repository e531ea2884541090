import { describe, expect, it } from 'vitest';
import { STATUS_COLORS } from '../../../core/views/graph-colors.js';
import type { GraphModel } from '../../../core/views/index.js';
import { graphModel, layoutGraph, renderDot, renderHtml } from '../../../core/views/index.js';
import { freshStore, plan, pretendExecuted } from './plan-fixture.js';

const DF = `FROM busybox AS build
WORKDIR /src
COPY . .
RUN make
FROM scratch
COPY --from=build /out/app /app
ENV A=1
CMD ["/app"]
`;

/** Second plan after editing index.js: WORKDIR hits, COPY misses, RUN cascades; stage 2 follows. */
async function twoBuilds(): Promise<GraphModel> {
  const store = await freshStore();
  const p1 = await plan(store, DF, { 'index.js': 'a' }, { buildId: 'b1' });
  const idx = await pretendExecuted(store, p1, { 'WORKDIR /src': 4096 });
  const p2 = await plan(store, DF, { 'index.js': 'b' }, { buildId: 'b2', stepIndex: idx });
  const sizes = new Map<`sha256:${string}`, number>([
    [p2.stages[0].steps[0].key as `sha256:${string}`, 4096],
  ]);
  return graphModel(p2, sizes);
}

describe('graphModel', () => {
  it('clusters per stage, a status per step, chain and cross-stage edges', async () => {
    const m = await twoBuilds();
    expect(m.clusters.map((c) => [c.label, c.nodes])).toEqual([
      ['build', ['s0_from', 's0_0', 's0_1', 's0_2']],
      ['stage-1', ['s1_from', 's1_0', 's1_1', 's1_2']],
    ]);
    expect(m.nodes.map((n) => [n.id, n.status])).toEqual([
      ['s0_from', 'base'],
      ['s0_0', 'hit'],
      ['s0_1', 'miss'],
      ['s0_2', 'cascade'],
      ['s1_from', 'base'],
      ['s1_0', 'pending'],
      ['s1_1', 'meta'],
      ['s1_2', 'meta'],
    ]);
    const byId = new Map(m.nodes.map((n) => [n.id, n]));
    expect(byId.get('s0_1')?.reason).toBe('COPY/ADD sources changed: changed index.js');
    expect(byId.get('s0_1')?.details[0]).toMatch(/^changed index\.js /);
    expect(byId.get('s0_0')?.size).toBe(4096);
    expect(byId.get('s1_1')?.hit).toBe(false);
    expect(m.edges).toEqual([
      { from: 's0_from', to: 's0_0', kind: 'chain' },
      { from: 's0_0', to: 's0_1', kind: 'chain' },
      { from: 's0_1', to: 's0_2', kind: 'chain' },
      { from: 's1_from', to: 's1_0', kind: 'chain' },
      { from: 's0_2', to: 's1_0', kind: 'copy-from' },
      { from: 's1_0', to: 's1_1', kind: 'chain' },
      { from: 's1_1', to: 's1_2', kind: 'chain' },
    ]);
    expect(m.summary).toEqual({ steps: 6, hit: 1, miss: 1, cascade: 1, pending: 1, meta: 2 });
  });

  it('a FROM <stage> edge joins the base stage to the FROM node', async () => {
    const store = await freshStore();
    const p = await plan(store, 'FROM busybox AS a\nRUN x\nFROM a\nRUN y\n', {}, { buildId: 'b1' });
    expect(graphModel(p).edges).toContainEqual({ from: 's0_0', to: 's1_from', kind: 'from' });
  });
});

describe('layoutGraph', () => {
  it('puts dependants right of their deps, nodes inside their cluster, no two boxes overlapping', async () => {
    const m = await twoBuilds();
    const l = layoutGraph(m);
    const c0 = l.clusters[0];
    const c1 = l.clusters[1];
    expect(c1.x).toBeGreaterThan(c0.x + c0.w);
    for (const c of m.clusters) {
      const box = l.clusters[c.index];
      for (const id of c.nodes) {
        const n = l.nodes[id];
        expect(n.x >= box.x && n.x + n.w <= box.x + box.w && n.y >= box.y && n.y + n.h <= box.y + box.h).toBe(
          true,
        );
      }
    }
    const boxes = Object.values(l.nodes);
    for (const [i, a] of boxes.entries())
      for (const b of boxes.slice(i + 1))
        expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y).toBe(true);
    for (const b of [...boxes, c0, c1]) {
      expect(b.x + b.w).toBeLessThanOrEqual(l.width);
      expect(b.y + b.h).toBeLessThanOrEqual(l.height);
    }
    expect(l.edges).toHaveLength(m.edges.length);
    expect(l.edges.every((d) => d.startsWith('M'))).toBe(true);
  });
});

/** A small DOT reader: enough of the grammar to check what renderDot writes is well formed. */
function readDot(text: string) {
  const tokens: string[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|(->|[{}[\];=,])|([A-Za-z_][\w]*|-?\d+(?:\.\d+)?))/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < text.trimEnd().length && (m = re.exec(text))) {
    tokens.push(m[1] ?? m[2] ?? m[3]);
    pos = re.lastIndex;
  }
  if (pos < text.trimEnd().length) throw new Error(`bad DOT at ${pos}: ${text.slice(pos, pos + 30)}`);
  let i = 0;
  const next = () => tokens[i++];
  const expectTok = (t: string) => {
    const got = next();
    if (got !== t) throw new Error(`want ${t}, got ${got} at token ${i}`);
  };
  const nodes = new Map<string, Record<string, string>>();
  const edges: [string, string][] = [];
  const clusters: string[] = [];
  const unq = (s: string) => (s.startsWith('"') ? JSON.parse(s) : s);
  const attrs = (): Record<string, string> => {
    const out: Record<string, string> = {};
    expectTok('[');
    while (tokens[i] !== ']') {
      const k = next();
      expectTok('=');
      out[k] = unq(next());
      if (tokens[i] === ',') i++;
    }
    expectTok(']');
    return out;
  };
  const stmts = () => {
    expectTok('{');
    while (tokens[i] !== '}') {
      const t = next();
      if (t === 'subgraph') {
        clusters.push(next());
        stmts();
      } else if (t === 'node' || t === 'edge') {
        attrs();
        expectTok(';');
      } else if (tokens[i] === '=') {
        i++;
        next();
        expectTok(';');
      } else if (tokens[i] === '->') {
        i++;
        const to = next();
        edges.push([t, to]);
        if (tokens[i] === '[') attrs();
        expectTok(';');
      } else {
        nodes.set(t, tokens[i] === '[' ? attrs() : {});
        expectTok(';');
      }
    }
    expectTok('}');
  };
  expectTok('digraph');
  next();
  stmts();
  if (i !== tokens.length) throw new Error('trailing tokens');
  return { nodes, edges, clusters };
}

describe('renderDot', () => {
  it('is well-formed DOT: clusters per stage, every edge between declared nodes, colours and tooltips', async () => {
    const m = await twoBuilds();
    const dot = renderDot(m);
    const g = readDot(dot);
    expect(g.clusters).toEqual(['cluster_0', 'cluster_1']);
    expect([...g.nodes.keys()]).toEqual(m.nodes.map((n) => n.id));
    expect(g.edges).toEqual(m.edges.map((e) => [e.from, e.to]));
    const miss = g.nodes.get('s0_1') ?? {};
    expect(miss.fillcolor).toBe(STATUS_COLORS.miss.fill);
    expect(miss.tooltip.split('\n')[0]).toBe('line 3: COPY/ADD sources changed: changed index.js');
    expect(miss.label).toBe('[build 3/4] COPY . .\nMISS');
    expect(g.nodes.get('s0_2')?.fillcolor).toBe(STATUS_COLORS.cascade.fill);
    expect(g.nodes.get('s0_0')?.label).toBe('[build 2/4] WORKDIR /src\nHIT\n4.10kB');
    expect(g.nodes.get('s1_1')?.fillcolor).toBe(STATUS_COLORS.meta.fill);
  });

  it('escapes quotes and backslashes in labels', async () => {
    const store = await freshStore();
    const p = await plan(store, 'FROM busybox\nRUN echo "a\\\\b"\n', {}, { buildId: 'b1' });
    const g = readDot(renderDot(graphModel(p)));
    expect(g.nodes.get('s0_0')?.label.split('\n')[0]).toBe('[2/2] RUN echo "a\\\\b"');
  });
});

describe('renderHtml', () => {
  it('is one self-contained file: no external URL, data embedded, script inline', async () => {
    const m = await twoBuilds();
    const html = renderHtml(m);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/\b(?:src|href)\s*=/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain("default-src 'none'");
    const data = /<script type="application\/json" id="strata-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
    const parsed = JSON.parse(data);
    expect(parsed.model.nodes.map((n: { status: string }) => n.status)).toEqual(m.nodes.map((n) => n.status));
    expect(Object.keys(parsed.layout.nodes)).toHaveLength(m.nodes.length);
    expect(parsed.sizes).toEqual({ s0_0: '4.10kB' });
  });

  it('a label holding </script> cannot end the data block', async () => {
    const store = await freshStore();
    const p = await plan(store, 'FROM busybox\nRUN echo "</script><b>"\n', {}, { buildId: 'b1' });
    const html = renderHtml(graphModel(p));
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    const data = /<script type="application\/json" id="strata-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
    expect(JSON.parse(data).model.nodes[1].label).toBe('[2/2] RUN echo "</script><b>"');
  });
});
