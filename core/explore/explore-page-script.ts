/**
 * The script inside the explorer page, as text (plain ES2017, no framework, no network).
 * It paints the summary, the layers and the waste at once from the small uncompressed JSON,
 * then opens directories on demand: each is a gzip chunk decompressed by the browser's
 * DecompressionStream when first shown (page-data.ts has the row format). State lives in
 * the URL hash (`#layer=3&open=/etc,/app&changes=1&search=x`) so a view can be linked.
 */
export const EXPLORE_PAGE_SCRIPT = String.raw`(function () {
  var data = JSON.parse(document.getElementById('strata-data').textContent);
  var S = data.summary;
  var chunkCache = {};
  var STATUS_TEXT = { a: 'added', m: 'modified', d: 'deleted (whiteout)', o: 'opaque', u: 'unchanged' };
  var TYPE_CHAR = { f: '-', d: 'd', l: 'l', h: 'h', c: 'c', b: 'b', p: 'p' };
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function human(n) {
    if (n < 1000) return n + 'B';
    var u = ['kB', 'MB', 'GB', 'TB'], v = n, i = -1;
    while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
    return (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)) + u[i];
  }
  function modeText(kind, mode) {
    var s = TYPE_CHAR[kind] || '?', r = 'rwxrwxrwx';
    for (var i = 0; i < 9; i++) s += mode & (1 << (8 - i)) ? r[i] : '-';
    return s + ' ' + ('000' + (mode & 4095).toString(8)).slice(-4);
  }
  function gunzip(b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
  }
  function chunk(id) {
    if (!chunkCache[id]) chunkCache[id] = gunzip(data.chunks[id]).then(JSON.parse);
    return chunkCache[id];
  }
  var state = { layer: S.layers.length - 1, open: {}, changes: false, search: '' };
  (location.hash.slice(1) || '').split('&').forEach(function (kv) {
    var i = kv.indexOf('='), k = kv.slice(0, i), v = decodeURIComponent(kv.slice(i + 1));
    if (k === 'layer' && /^\d+$/.test(v) && +v >= 1 && +v <= S.layers.length) state.layer = +v - 1;
    if (k === 'open') v.split(',').forEach(function (p) { if (p) state.open[p] = true; });
    if (k === 'changes') state.changes = v === '1';
    if (k === 'search') state.search = v;
  });
  function saveHash() {
    var open = Object.keys(state.open).filter(function (p) { return state.open[p]; });
    history.replaceState(null, '', '#layer=' + (state.layer + 1) + (open.length ? '&open=' + encodeURIComponent(open.join(',')) : '') + (state.changes ? '&changes=1' : '') + (state.search ? '&search=' + encodeURIComponent(state.search) : ''));
  }

  // Summary and waste: painted at once.
  $('summary').textContent = S.kind + ' \u00b7 ' + S.id + ' \u00b7 ' + S.layers.length + ' layers \u00b7 ' + S.files + ' paths' + (S.dockerfile ? ' \u00b7 ' + S.dockerfile : '');
  $('waste').textContent = 'wasted ' + human(S.wastedBytes) + ' of ' + human(S.totalBytes) + ' \u00b7 efficiency ' + (S.efficiency * 100).toFixed(1) + '%';
  var off = $('offenders');
  if (!S.offenders.length) el('li', 'none', 'nothing wasted', off);
  S.offenders.forEach(function (o) { el('li', '', human(o.bytes) + '  ' + o.text, off); });

  // Layers, bottom to top.
  var list = $('layers');
  S.layers.forEach(function (l) {
    var li = el('li', 'layer' + (l.cache ? (l.cache.hit ? ' hit' : ' miss') : ''), undefined, list);
    li.setAttribute('data-layer', l.index + 1);
    li.tabIndex = 0;
    el('div', 'layer-title', (l.index + 1) + '. ' + (l.instruction || '(no instruction recorded)'), li);
    var meta = (l.line ? 'line ' + l.line + ' \u00b7 ' : '') + (l.size !== undefined && l.size !== null ? human(l.size) + ' \u00b7 ' : '') + '+' + l.added + ' ~' + l.modified + ' -' + l.deleted + (l.wastedBytes ? ' \u00b7 wasted ' + human(l.wastedBytes) : '');
    el('div', 'layer-meta', meta, li);
    if (l.cache) el('div', 'cache', l.cache.hit ? l.cache.reason : 'cache miss: ' + l.cache.reason, li);
    var ids = el('div', 'ids', undefined, li);
    el('div', '', 'diffID ' + l.diffId, ids);
    el('div', '', 'chainID ' + l.chainId, ids);
    if (l.blobDigest) el('div', '', 'blob ' + l.blobDigest, ids);
    li.addEventListener('click', function () { state.layer = l.index; render(); });
  });

  function at(events, layer) {
    var found = null;
    for (var i = 0; i < events.length && events[i][0] <= layer; i++) found = events[i];
    return found;
  }
  function rowStatus(events, layer) {
    var ev = at(events, layer);
    if (!ev) return null;
    if (ev[1] === 'd') return ev[0] === layer ? { s: 'd', ev: ev, prev: at(events, layer - 1) } : null;
    return { s: ev[0] === layer ? ev[1] : 'u', ev: ev };
  }
  function drawRow(parent, dirPath, r, depth) {
    var name = r[0], sub = r[1], changedLayers = r[2], st = rowStatus(r[3], state.layer);
    if (!st) return;
    var isDir = sub >= 0;
    if (state.changes && st.s === 'u' && !(isDir && changedLayers.indexOf(state.layer) >= 0)) return;
    var path = dirPath + '/' + name;
    var ev = st.s === 'd' ? st.prev || st.ev : st.ev;
    var row = el('div', 'row st-' + STATUS_TEXT[st.s].split(' ')[0], undefined, parent);
    row.setAttribute('data-path', path);
    row.style.paddingLeft = 6 + depth * 16 + 'px';
    var twisty = el('span', 'twisty', isDir && st.s !== 'd' ? (state.open[path] ? '\u25be' : '\u25b8') : ' ', row);
    el('span', 'name', name + (ev && ev[2] === 'l' ? ' \u2192 ' + ev[7] : ev && ev[2] === 'h' ? ' \u21d2 /' + ev[7] : ''), row);
    el('span', 'status', st.s === 'd' && st.ev[2] ? 'deleted (via /' + st.ev[2] + ')' : STATUS_TEXT[st.s], row);
    el('span', 'mode', ev && ev[3] !== undefined ? modeText(ev[2], ev[3]) : '', row);
    el('span', 'owner', ev && ev[4] !== undefined ? ev[4] + ':' + ev[5] : '', row);
    el('span', 'size', ev && ev[2] === 'f' ? human(ev[6]) : '', row);
    if (isDir && st.s !== 'd') {
      var kids = el('div', 'kids', undefined, parent);
      twisty.addEventListener('click', function () { state.open[path] = !state.open[path]; render(); });
      row.addEventListener('dblclick', function () { state.open[path] = !state.open[path]; render(); });
      if (state.open[path]) return drawDir(kids, sub, path, depth + 1);
    }
  }
  function drawDir(parent, id, path, depth) {
    return chunk(id).then(function (rows) {
      var pending = [];
      rows.forEach(function (r) { var p = drawRow(parent, path, r, depth); if (p) pending.push(p); });
      return Promise.all(pending);
    });
  }
  var searchIndex = null;
  function drawSearch(parent) {
    if (!searchIndex) searchIndex = gunzip(data.paths).then(function (t) { return t.split('\n'); });
    var q = state.search.toLowerCase();
    return searchIndex.then(function (lines) {
      var hits = [];
      for (var i = 0; i < lines.length && hits.length < 200; i++) {
        var tab = lines[i].indexOf('\t'), dir = +lines[i].slice(0, tab), name = lines[i].slice(tab + 1);
        var full = (data.dirs[dir] ? '/' + data.dirs[dir] : '') + '/' + name;
        if (full.toLowerCase().indexOf(q) >= 0) hits.push({ dir: dir, name: name });
      }
      el('div', 'note', hits.length + (hits.length === 200 ? '+' : '') + ' paths match', parent);
      return Promise.all(hits.map(function (h) {
        return chunk(h.dir).then(function (rows) {
          var r = rows.filter(function (x) { return x[0] === h.name; })[0];
          if (r) drawRow(parent, data.dirs[h.dir] ? '/' + data.dirs[h.dir] : '', [r[0], -1, r[2], r[3]], 0);
        });
      }));
    });
  }
  var generation = 0;
  function render() {
    var gen = ++generation;
    saveHash();
    Array.prototype.forEach.call(list.children, function (li, i) { li.classList.toggle('selected', i === state.layer); });
    var l = S.layers[state.layer];
    $('tree-title').textContent = 'Files at layer ' + (state.layer + 1) + (l.instruction ? ': ' + l.instruction : '');
    var tree = document.createElement('div');
    var done = state.search ? drawSearch(tree) : drawDir(tree, 0, '', 0);
    return done.then(function () {
      if (gen !== generation) return;
      var old = $('tree');
      tree.id = 'tree';
      old.parentNode.replaceChild(tree, old);
      document.body.setAttribute('data-rendered', 'true');
    });
  }
  var only = $('only-changes'), search = $('search');
  only.checked = state.changes;
  search.value = state.search;
  only.addEventListener('change', function () { state.changes = only.checked; render(); });
  var timer = null;
  search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(function () { state.search = search.value; render(); }, 150); });
  // Timings for tests and the curious: when the first tree was in the DOM, and the browser's
  // first contentful paint once it reports one.
  render().then(function () {
    document.body.setAttribute('data-tree-ms', Math.round(performance.now()));
  });
  if (window.PerformanceObserver) {
    try {
      new PerformanceObserver(function (list) {
        list.getEntries().forEach(function (e) {
          if (e.name === 'first-contentful-paint') document.body.setAttribute('data-fcp-ms', Math.round(e.startTime));
        });
      }).observe({ type: 'paint', buffered: true });
    } catch (e) { /* no paint timing in this browser */ }
  }
})();`;
