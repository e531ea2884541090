/**
 * The build picture as ONE self-contained HTML file: inline CSS, inline script, the SVG drawn
 * from embedded JSON with the layout computed here (graph-layout.ts). No network, no graphviz.
 */
import { humanSize } from '../inspect/image-view.js';
import { STATUS_COLORS, STATUS_LEGEND } from './graph-colors.js';
import { layoutGraph } from './graph-layout.js';
import type { GraphModel, NodeStatus } from './graph-model.js';
import { GRAPH_PAGE_SCRIPT } from './graph-page-script.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot end the <script> element it sits in, nor break older JS parsers. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function css(): string {
  const rules = (Object.keys(STATUS_COLORS) as NodeStatus[]).map((s) => {
    const c = STATUS_COLORS[s];
    return `.node.${s} rect{fill:${c.fill};stroke:${c.stroke}}.node.${s} text{fill:${c.text}}.swatch.${s},.status-line.${s}{background:${c.fill};border-color:${c.stroke}}`;
  });
  return [
    'body{margin:0;font:14px system-ui,sans-serif;color:#1d2430;background:#f7f8fa;display:flex;flex-direction:column;min-height:100vh}',
    'header{padding:12px 20px;background:#fff;border-bottom:1px solid #d8dde3}',
    'header h1{font-size:18px;margin:0 0 4px}#summary{color:#4a5563}',
    '.legend{display:flex;gap:14px;flex-wrap:wrap;margin-top:8px;font-size:12px}',
    '.swatch{display:inline-block;width:12px;height:12px;border:1.5px solid;border-radius:3px;vertical-align:-2px;margin-right:4px}',
    'main{display:flex;flex:1;align-items:flex-start}#canvas{flex:1;overflow:auto;padding:10px}',
    '#details{width:340px;padding:14px 18px;background:#fff;border-left:1px solid #d8dde3;align-self:stretch;font-size:13px}',
    '#details h2{font:600 13px ui-monospace,monospace;margin:0 0 8px;word-break:break-all}',
    '#details ul{padding-left:18px;font-family:ui-monospace,monospace;font-size:12px}',
    '.status-line{display:inline-block;padding:2px 6px;border:1px solid;border-radius:4px;font-size:12px}',
    '.cluster-box{fill:#fff;stroke:#9aa5b1;stroke-width:1.2}',
    '.cluster-label{font:600 13px system-ui,sans-serif;fill:#2b3645}',
    '.node{cursor:pointer}.node rect{stroke-width:1.6}.node:hover rect,.node:focus rect{stroke-width:3}',
    '.node-label{font:12px ui-monospace,monospace}.node-sub{font:11px system-ui,sans-serif;opacity:.85}',
    '.edge{fill:none;stroke:#6b7785;stroke-width:1.4}.edge-from,.edge-copy-from,.edge-mount-from{stroke:#4a6fa5;stroke-dasharray:5 4}',
    '.arrowhead{fill:#6b7785}',
    ...rules,
  ].join('\n');
}

export function renderHtml(model: GraphModel, opts: { title?: string } = {}): string {
  const layout = layoutGraph(model);
  const sizes: Record<string, string> = {};
  for (const n of model.nodes) if (n.size !== undefined) sizes[n.id] = humanSize(n.size);
  const title = opts.title ?? `strata graph: ${model.file}`;
  const legend = (Object.keys(STATUS_LEGEND) as NodeStatus[])
    .map((s) => `<span><span class="swatch ${s}"></span>${escapeHtml(STATUS_LEGEND[s])}</span>`)
    .join('');
  return selfContainedPage({
    title,
    css: css(),
    body: `<header>
<h1>${escapeHtml(title)}</h1>
<div id="summary">${model.summary.steps} steps</div>
<div class="legend">${legend}</div>
</header>
<main>
<div id="canvas"><svg id="graph" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}"></svg></div>
<aside id="details"><p>Hover or click a step to see why it hit or missed the cache.</p></aside>
</main>`,
    data: { model, layout, sizes },
    script: GRAPH_PAGE_SCRIPT,
  });
}

/**
 * One HTML file that needs nothing else: inline CSS and script, `data` embedded as JSON in
 * `<script id="strata-data">`, and a Content-Security-Policy that allows no network at all.
 */
export function selfContainedPage(p: {
  title: string;
  css: string;
  body: string;
  data: unknown;
  script: string;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${escapeHtml(p.title)}</title>
<style>
${p.css}
</style>
</head>
<body>
${p.body}
<script type="application/json" id="strata-data">${scriptJson(p.data)}</script>
<script>
${p.script}
</script>
</body>
</html>
`;
}
