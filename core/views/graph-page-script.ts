/**
 * The script inside the HTML picture, as text. It draws the SVG from the embedded JSON (model
 * plus precomputed layout), so the page needs nothing from the network, and shows a step's
 * reason and details on hover (native tooltip) and in the side panel on hover or click.
 * Plain ES2017, no framework: the file must open in any browser as is.
 */
export const GRAPH_PAGE_SCRIPT = String.raw`(function () {
  var data = JSON.parse(document.getElementById('strata-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var model = data.model, layout = data.layout;
  var svg = document.getElementById('graph');
  svg.setAttribute('viewBox', '0 0 ' + layout.width + ' ' + layout.height);
  svg.setAttribute('width', layout.width);
  svg.setAttribute('height', layout.height);
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, cls) {
    var t = el('text', { x: x, y: y, 'class': cls }, parent);
    t.textContent = s;
    return t;
  }
  function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; }
  var defs = el('defs', {}, svg);
  var marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' }, defs);
  el('path', { d: 'M0,0 L10,5 L0,10 z', 'class': 'arrowhead' }, marker);
  model.clusters.forEach(function (c) {
    var b = layout.clusters[c.index];
    var g = el('g', { 'class': 'cluster', 'data-stage': c.label }, svg);
    el('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 10, 'class': 'cluster-box' }, g);
    text(g, b.x + 12, b.y + 21, 'stage ' + c.label, 'cluster-label');
    var title = el('title', {}, g);
    title.textContent = 'stage ' + c.label + ' (from ' + c.base + ')';
  });
  model.edges.forEach(function (e, i) {
    if (!layout.edges[i]) return;
    el('path', { d: layout.edges[i], 'class': 'edge edge-' + e.kind, 'marker-end': 'url(#arrow)' }, svg);
  });
  var panel = document.getElementById('details');
  function show(n) {
    panel.innerHTML = '';
    var h = document.createElement('h2');
    h.textContent = n.label;
    panel.appendChild(h);
    var meta = document.createElement('p');
    meta.className = 'status-line ' + n.status;
    meta.textContent = n.status.toUpperCase() + ' \u00b7 line ' + n.line + (n.size !== undefined ? ' \u00b7 ' + data.sizes[n.id] : '');
    panel.appendChild(meta);
    var r = document.createElement('p');
    r.className = 'reason';
    r.textContent = n.reason;
    panel.appendChild(r);
    if (n.details.length) {
      var ul = document.createElement('ul');
      n.details.forEach(function (d) { var li = document.createElement('li'); li.textContent = d; ul.appendChild(li); });
      panel.appendChild(ul);
    }
  }
  model.nodes.forEach(function (n) {
    var b = layout.nodes[n.id];
    var g = el('g', { 'class': 'node ' + n.status, 'data-id': n.id, tabindex: '0' }, svg);
    el('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 6 }, g);
    text(g, b.x + 8, b.y + 16, clip(n.label, 41), 'node-label');
    var sub = n.status === 'base' ? clip(n.reason, 42) : n.status.toUpperCase() + (n.status === 'meta' ? (n.hit ? ' (hit)' : ' (miss)') : '') + (n.size !== undefined ? ' \u00b7 ' + data.sizes[n.id] : '') + ' \u00b7 line ' + n.line;
    text(g, b.x + 8, b.y + 32, sub, 'node-sub');
    var title = el('title', {}, g);
    title.textContent = n.label + '\n' + n.reason + (n.details.length ? '\n- ' + n.details.slice(0, 10).join('\n- ') : '');
    g.addEventListener('mouseenter', function () { show(n); });
    g.addEventListener('click', function () { show(n); });
  });
  var s = model.summary;
  document.getElementById('summary').textContent = s.steps + ' steps: ' + s.hit + ' hit, ' + s.miss + ' miss, ' + s.cascade + ' cascade, ' + (s.pending ? s.pending + ' decided after the stage they read runs, ' : '') + s.meta + ' metadata';
  var first = model.nodes.filter(function (n) { return n.status === 'miss'; })[0];
  if (first) show(first);
  document.body.setAttribute('data-rendered', 'true');
})();`;
