/**
 * `strata explore --text`: per layer, bottom first, its step and names, then one line per
 * path it changed (`+` added, `~` modified with what changed, `-` deleted, `!` opaque), then
 * the wasted space and its largest offenders with the steps that wrote and wasted them.
 */
import { attributeChanges } from '../cache/attribute-changes.js';
import { humanSize } from '../inspect/image-view.js';
import { attrsOf } from './entry-attrs.js';
import { type ExploreModel, layerLabel } from './explore-model.js';
import type { Offender } from './wasted-space.js';

export interface LayerChange {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'opaque';
  /** Modified: the attributes that changed. Deleted from above: `via /dir`. */
  note?: string;
}

/** The paths layer `i` changed, sorted by path. */
export function layerChanges(model: ExploreModel, i: number): LayerChange[] {
  const out: LayerChange[] = [];
  for (const [path, events] of model.files.history) {
    for (const [k, ev] of events.entries()) {
      if (ev.layer !== i) continue;
      const c: LayerChange = { path: `/${path}`, status: ev.status };
      const before = events[k - 1]?.entry;
      if (ev.status === 'modified' && before && ev.entry)
        // Written again as it was (COPY . . after COPY package.json ./): still a second copy.
        c.note =
          attributeChanges(attrsOf(before), attrsOf(ev.entry))
            .map((a) => a.text)
            .join(', ') || 'rewritten, unchanged';
      if (ev.status === 'deleted' && ev.via !== undefined) c.note = `via /${ev.via}`;
      if (ev.status === 'added' && ev.entry?.kind === 'hardlink') c.note = `hardlink to /${ev.entry.link}`;
      if (ev.status === 'added' && ev.entry?.kind === 'symlink') c.note = `-> ${ev.entry.link}`;
      out.push(c);
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const SIGN = { added: '+', modified: '~', deleted: '-', opaque: '!' } as const;

export function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

export function offenderText(model: ExploreModel, o: Offender): string {
  const by = layerLabel(model.layers[o.layer], o.layer);
  if (o.why === 'duplicate') return `/${o.path}: duplicate of /${o.of}, written by ${by}`;
  const later = layerLabel(model.layers[o.wastedBy ?? 0], o.wastedBy ?? 0);
  return `/${o.path}: written by ${by}, ${o.why} by ${later}`;
}

export function formatExplore(model: ExploreModel, opts: { top?: number } = {}): string {
  const w = model.waste;
  const lines = [
    `${model.name} ${model.id}: ${model.layers.length} layers, ${humanSize(w.totalBytes)} of files, ${humanSize(w.wastedBytes)} wasted (efficiency ${percent(w.efficiency)})`,
  ];
  for (const l of model.layers) {
    lines.push('', layerLabel(l, l.index));
    lines.push(
      `  diffID ${l.diffId}  chainID ${l.chainId}${l.size !== undefined ? `  ${humanSize(l.size)}` : ''}`,
    );
    // A hit's reason already begins `cache hit: made by build ...`.
    if (l.cache) lines.push(`  ${l.cache.hit ? l.cache.reason : `cache miss: ${l.cache.reason}`}`);
    for (const c of layerChanges(model, l.index))
      lines.push(`  ${SIGN[c.status]} ${c.path}${c.note ? ` (${c.note})` : ''}`);
    if (l.wastedBytes > 0) lines.push(`  wasted: ${humanSize(l.wastedBytes)}`);
  }
  const top = w.offenders.slice(0, opts.top ?? 10);
  if (top.length > 0) {
    lines.push('', 'largest waste:');
    for (const o of top) lines.push(`  ${humanSize(o.bytes).padStart(9)}  ${offenderText(model, o)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `--json`: the model without the raw history (layers, changes per layer, waste). */
export function exploreJson(model: ExploreModel): unknown {
  return {
    name: model.name,
    kind: model.kind,
    id: model.id,
    layers: model.layers.map((l) => ({ ...l, changes: layerChanges(model, l.index) })),
    waste: model.waste,
  };
}
