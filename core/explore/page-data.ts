/**
 * What the explorer page embeds, shaped so a 100,000-file image opens fast: a small
 * uncompressed summary (layers, waste, offenders) the page paints at once, then one gzip
 * chunk per directory (its children and each child's events), decompressed by the browser
 * only when that directory is opened, and one gzip list of all paths for search.
 *
 * A child row is `[name, dirId, changedLayers, events]`: dirId is -1 for a non-directory,
 * changedLayers the layers that changed something in the subtree (the "only changes"
 * filter), events `[layer, status, kind, mode, uid, gid, size, link]` with status one of
 * a(dded) m(odified) d(eleted) o(paque) (a deletion is `[layer, 'd', via]`).
 */
import { gzipSync } from 'node:zlib';
import type { ExploreModel } from './explore-model.js';
import { offenderText } from './format-explore.js';
import type { PathEvent } from './image-files.js';

export interface PageData {
  summary: {
    name: string;
    kind: string;
    id: string;
    dockerfile?: string;
    layers: ExploreModel['layers'];
    totalBytes: number;
    wastedBytes: number;
    efficiency: number;
    offenders: { path: string; bytes: number; layer: number; text: string }[];
    files: number;
  };
  /** dirId -> base64 gzip of its JSON chunk. Directory 0 is `/`. */
  chunks: string[];
  /** Directory paths by id (`''` is the root). */
  dirs: string[];
  /** base64 gzip of `dirId\tname` lines, one per path: the search index. */
  paths: string;
}

const STATUS = { added: 'a', modified: 'm', deleted: 'd', opaque: 'o' } as const;
const KIND: Record<string, string> = {
  file: 'f',
  dir: 'd',
  symlink: 'l',
  hardlink: 'h',
  char: 'c',
  block: 'b',
  fifo: 'p',
};

function encodeEvent(ev: PathEvent): unknown[] {
  if (ev.status === 'deleted') return ev.via === undefined ? [ev.layer, 'd'] : [ev.layer, 'd', ev.via];
  const e = ev.entry;
  if (e === undefined) return [ev.layer, STATUS[ev.status]];
  const row: unknown[] = [ev.layer, STATUS[ev.status], KIND[e.kind] ?? '?', e.mode, e.uid, e.gid, e.size];
  if (e.link !== undefined) row.push(e.link);
  return row;
}

const b64gz = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v)), { level: 6 }).toString('base64');

export function pageData(model: ExploreModel, opts: { topOffenders?: number } = {}): PageData {
  const { files } = model;
  const dirs: string[] = [''];
  const dirId = new Map<string, number>([['', 0]]);
  // Directory ids, parents first (a breadth-first walk from the root).
  for (let i = 0; i < dirs.length; i++) {
    const d = dirs[i];
    for (const name of [...files.childrenOf(d)].sort()) {
      const p = d === '' ? name : `${d}/${name}`;
      if (files.childrenOf(p).size > 0 && !dirId.has(p)) {
        dirId.set(p, dirs.length);
        dirs.push(p);
      }
    }
  }
  // Layers changing something in each subtree, children before parents.
  const changed = new Map<string, Set<number>>();
  for (let i = dirs.length - 1; i >= 0; i--) {
    const d = dirs[i];
    const set = changed.get(d) ?? new Set<number>();
    for (const name of files.childrenOf(d)) {
      const p = d === '' ? name : `${d}/${name}`;
      for (const ev of files.history.get(p) ?? []) set.add(ev.layer);
      for (const l of changed.get(p) ?? []) set.add(l);
    }
    changed.set(d, set);
  }
  const chunks: string[] = [];
  const pathLines: string[] = [];
  for (const [id, d] of dirs.entries()) {
    const rows: unknown[] = [];
    for (const name of [...files.childrenOf(d)].sort()) {
      const p = d === '' ? name : `${d}/${name}`;
      const sub = dirId.get(p) ?? -1;
      const layers = sub >= 0 ? [...(changed.get(p) ?? [])].sort((a, b) => a - b) : 0;
      rows.push([name, sub, layers, (files.history.get(p) ?? []).map(encodeEvent)]);
      pathLines.push(`${id}\t${name}`);
    }
    chunks.push(b64gz(rows));
  }
  const w = model.waste;
  return {
    summary: {
      name: model.name,
      kind: model.kind,
      id: model.id,
      dockerfile: model.dockerfile,
      layers: model.layers,
      totalBytes: w.totalBytes,
      wastedBytes: w.wastedBytes,
      efficiency: w.efficiency,
      offenders: w.offenders.slice(0, opts.topOffenders ?? 20).map((o) => ({
        path: `/${o.path}`,
        bytes: o.bytes,
        layer: o.layer,
        text: offenderText(model, o),
      })),
      files: files.history.size,
    },
    chunks,
    dirs,
    paths: gzipSync(Buffer.from(pathLines.join('\n'))).toString('base64'),
  };
}
