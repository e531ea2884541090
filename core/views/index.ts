/** Views of builds and the store for people: explain, layers, and the build picture. */

export type { ExplainStep, ExplainSummary, ExplainView, MadeBy } from './explain-view.js';
export { explainView, loadExplainView } from './explain-view.js';
export type { FormatExplainOptions } from './format-explain.js';
export { formatExplain } from './format-explain.js';
export { formatLayers } from './format-layers.js';
export type { Box, GraphLayout } from './graph-layout.js';
export { layoutGraph } from './graph-layout.js';
export type { GraphCluster, GraphEdge, GraphModel, GraphNode, NodeStatus } from './graph-model.js';
export { graphModel } from './graph-model.js';
export type { LayerRow } from './layers-view.js';
export { layerRows } from './layers-view.js';
export { hitLayerSizes, planGraph } from './plan-graph.js';
export { dotString, renderDot } from './render-dot.js';
export { escapeHtml, renderHtml, scriptJson, selfContainedPage } from './render-html.js';
