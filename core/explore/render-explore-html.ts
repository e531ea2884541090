/**
 * The explorer as ONE self-contained HTML file, like `strata graph`'s page: inline CSS and
 * script, data embedded (page-data.ts), a Content-Security-Policy that allows no network.
 */
import { escapeHtml, selfContainedPage } from '../views/render-html.js';
import type { ExploreModel } from './explore-model.js';
import { EXPLORE_PAGE_SCRIPT } from './explore-page-script.js';
import { pageData } from './page-data.js';

const CSS = [
  'body{margin:0;font:14px system-ui,sans-serif;color:#1d2430;background:#f7f8fa}',
  'header{padding:12px 20px;background:#fff;border-bottom:1px solid #d8dde3}',
  'header h1{font-size:18px;margin:0 0 4px}#summary{color:#4a5563;font-size:12px;word-break:break-all}',
  '#waste{display:inline-block;margin-top:6px;padding:3px 8px;border-radius:4px;background:#fdecc8;border:1px solid #e0a526;font-weight:600}',
  'main{display:flex;align-items:flex-start;gap:0}',
  '#side{width:430px;flex:none;padding:10px 14px;border-right:1px solid #d8dde3;background:#fff;min-height:90vh}',
  '#side h2,#files h2{font-size:14px;margin:8px 0}',
  '#layers{list-style:none;padding:0;margin:0;display:flex;flex-direction:column-reverse}',
  '.layer{border:1px solid #d8dde3;border-left:5px solid #9aa5b1;border-radius:4px;padding:6px 8px;margin:4px 0;cursor:pointer}',
  '.layer.hit{border-left-color:#3c9a5f}.layer.miss{border-left-color:#d9534f}',
  '.layer.selected{background:#e8f0fe;border-color:#4a6fa5}',
  '.layer-title{font:600 12px ui-monospace,monospace;word-break:break-all}',
  '.layer-meta,.cache{font-size:12px;color:#4a5563}.ids{font:10px ui-monospace,monospace;color:#6b7785;word-break:break-all}',
  '#offenders{font:12px ui-monospace,monospace;padding-left:18px}',
  '#files{flex:1;padding:10px 14px;min-width:0}',
  '.controls{display:flex;gap:14px;align-items:center;margin-bottom:6px}#search{width:260px}',
  '.row{display:grid;grid-template-columns:16px minmax(200px,1fr) 150px 110px 90px 70px;gap:6px;font:12px ui-monospace,monospace;padding:1px 0;border-bottom:1px solid #eef0f3}',
  '.twisty{cursor:pointer;color:#4a6fa5}.size{text-align:right}',
  '.st-added{background:#e3f6e8}.st-added .status{color:#1f7a3f}',
  '.st-modified{background:#fff4d6}.st-modified .status{color:#8a6100}',
  '.st-deleted{background:#fde2e1}.st-deleted .name{text-decoration:line-through}.st-deleted .status{color:#b02a25;font-weight:600}',
  '.st-opaque{background:#ece4fb}.st-opaque .status{color:#5b3a9e}',
  '.st-unchanged .status{color:#8a94a3}.note{font-size:12px;color:#4a5563}',
].join('\n');

export function renderExploreHtml(model: ExploreModel): string {
  const title = `strata explore: ${model.name}`;
  return selfContainedPage({
    title,
    css: CSS,
    body: `<header>
<h1>${escapeHtml(title)}</h1>
<div id="summary"></div>
<div id="waste"></div>
</header>
<main>
<section id="side">
<h2>Layers (top is last)</h2>
<ol id="layers"></ol>
<h2>Largest waste</h2>
<ol id="offenders"></ol>
</section>
<section id="files">
<h2 id="tree-title">Files</h2>
<div class="controls"><label><input type="checkbox" id="only-changes"> only changes</label><input type="search" id="search" placeholder="search paths"></div>
<div id="tree"><p class="note">loading...</p></div>
</section>
</main>`,
    data: pageData(model),
    script: EXPLORE_PAGE_SCRIPT,
  });
}
