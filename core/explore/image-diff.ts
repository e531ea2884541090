/**
 * diff: two images compared the way container-diff does, plus what only layer history can
 * tell: the layers they share (same chainID: the same stack, not only the same tar), and
 * for every path added, removed or changed, the step of the second image that did it.
 */
import { attributeChanges } from '../cache/attribute-changes.js';
import type { Digest } from '../oci/digest.js';
import { attrsOf } from './entry-attrs.js';
import { type ExploreModel, layerLabel } from './explore-model.js';

export interface DiffPath {
  path: string;
  change: 'added' | 'removed' | 'changed';
  /** For `changed`: the attributes that differ. */
  attributes?: string[];
  /** The layer of the second image that wrote (or deleted) it, when one did. */
  layer?: number;
  step?: string;
}

export interface ImageDiff {
  a: { name: string; id: Digest; layers: number };
  b: { name: string; id: Digest; layers: number };
  /** Layers both images start with (same chainID), bottom first. */
  shared: Digest[];
  paths: DiffPath[];
}

export function diffImages(a: ExploreModel, b: ExploreModel): ImageDiff {
  const shared: Digest[] = [];
  for (let i = 0; i < Math.min(a.layers.length, b.layers.length); i++) {
    if (a.layers[i].chainId !== b.layers[i].chainId) break;
    shared.push(a.layers[i].chainId);
  }
  const step = (layer: number | undefined) =>
    layer === undefined ? {} : { layer, step: layerLabel(b.layers[layer], layer) };
  const paths: DiffPath[] = [];
  for (const [path, evB] of b.files.live) {
    const evA = a.files.live.get(path);
    if (evA === undefined) {
      paths.push({ path: `/${path}`, change: 'added', ...step(evB.layer) });
      continue;
    }
    if (!evA.entry || !evB.entry) continue;
    const attrs = attributeChanges(attrsOf(evA.entry), attrsOf(evB.entry));
    // A directory's size and content mean nothing; its listing is compared path by path.
    if (attrs.length > 0)
      paths.push({
        path: `/${path}`,
        change: 'changed',
        attributes: attrs.map((c) => c.text),
        ...step(evB.layer),
      });
  }
  for (const path of a.files.live.keys()) {
    if (b.files.live.has(path)) continue;
    const last = b.files.history.get(path)?.at(-1);
    paths.push({
      path: `/${path}`,
      change: 'removed',
      ...step(last?.status === 'deleted' ? last.layer : undefined),
    });
  }
  paths.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return {
    a: { name: a.name, id: a.id, layers: a.layers.length },
    b: { name: b.name, id: b.id, layers: b.layers.length },
    shared,
    paths,
  };
}

const SIGN = { added: '+', removed: '-', changed: '~' } as const;

export function formatDiff(d: ImageDiff): string {
  const lines = [
    `${d.a.name} (${d.a.layers} layers) -> ${d.b.name} (${d.b.layers} layers): ${d.shared.length} shared by chainID`,
  ];
  for (const p of d.paths) {
    const attrs = p.attributes ? ` (${p.attributes.join(', ')})` : '';
    lines.push(`${SIGN[p.change]} ${p.path}${attrs}${p.step ? `  [${p.step}]` : ''}`);
  }
  const n = (c: DiffPath['change']) => d.paths.filter((p) => p.change === c).length;
  lines.push(`${n('added')} added, ${n('removed')} removed, ${n('changed')} changed`);
  return `${lines.join('\n')}\n`;
}
