/**
 * Wasted space: bytes an image ships that nobody can see. A file version is wasted when a
 * later layer overwrites it (a chmod-only change copies the whole file up) or deletes it;
 * duplicate content is wasted when the final tree holds the same bytes at several paths
 * (hardlinks share one copy and cost nothing). Efficiency is the share of written bytes
 * that are still useful, as dive reports it.
 */
import { eventAt, type ImageFiles } from './image-files.js';

export interface Offender {
  path: string;
  bytes: number;
  /** The layer that wrote the bytes. */
  layer: number;
  why: 'overwritten' | 'deleted' | 'duplicate';
  /** The later layer that overwrote or deleted them. */
  wastedBy?: number;
  /** For a duplicate: the path holding the first copy. */
  of?: string;
}

export interface WastedSpace {
  /** Bytes of regular files written by all layers. */
  totalBytes: number;
  wastedBytes: number;
  /** (total - wasted) / total, 1 for an empty image. */
  efficiency: number;
  /** Wasted bytes written by each layer. */
  byLayer: number[];
  /** Largest first, then by path. */
  offenders: Offender[];
}

export function wastedSpace(files: ImageFiles): WastedSpace {
  const byLayer = new Array<number>(files.layerCount).fill(0);
  const offenders: Offender[] = [];
  let totalBytes = 0;
  for (const [path, events] of files.history) {
    for (const [i, ev] of events.entries()) {
      const size = ev.entry?.kind === 'file' ? ev.entry.size : 0;
      if (ev.status === 'deleted' || size === 0) continue;
      totalBytes += size;
      const next = events[i + 1];
      if (next === undefined) continue;
      offenders.push({
        path,
        bytes: size,
        layer: ev.layer,
        why: next.status === 'deleted' ? 'deleted' : 'overwritten',
        wastedBy: next.layer,
      });
    }
  }
  // Duplicates in the final tree: the first copy (lowest layer, then path) is the original.
  const top = files.layerCount - 1;
  const byDigest = new Map<string, { path: string; layer: number; size: number }[]>();
  for (const [path, ev] of files.live) {
    const e = ev.entry;
    if (e?.kind !== 'file' || e.size === 0 || e.digest === undefined) continue;
    let list = byDigest.get(e.digest);
    if (list === undefined) byDigest.set(e.digest, (list = []));
    list.push({ path, layer: eventAt(files.history.get(path) ?? [], top)?.layer ?? ev.layer, size: e.size });
  }
  for (const copies of byDigest.values()) {
    if (copies.length < 2) continue;
    copies.sort((a, b) => a.layer - b.layer || (a.path < b.path ? -1 : 1));
    for (const c of copies.slice(1))
      offenders.push({ path: c.path, bytes: c.size, layer: c.layer, why: 'duplicate', of: copies[0].path });
  }
  let wastedBytes = 0;
  for (const o of offenders) {
    wastedBytes += o.bytes;
    byLayer[o.layer] += o.bytes;
  }
  offenders.sort(
    (a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : a.layer - b.layer),
  );
  return {
    totalBytes,
    wastedBytes,
    efficiency: totalBytes === 0 ? 1 : (totalBytes - wastedBytes) / totalBytes,
    byLayer,
    offenders,
  };
}
