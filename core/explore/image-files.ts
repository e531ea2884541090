/**
 * ImageFiles: the history of every path in an image, from its layers' changes applied in
 * order, in memory, with the rules of the OCI image-spec (layer.md "Applying Changesets"),
 * the same rules apply-layer.ts applies on disk and LayerStack reads back: a whiteout removes
 * the path and everything below it; an opaque directory hides what lower layers put below
 * it; a non-directory replacing a directory removes the directory's subtree.
 *
 * Everything people ask of an image's files is read from this one history: the merged
 * tree at any layer and each entry's status there, blame, diff, and wasted space.
 */
import type { LayerEntry } from './layer-entry.js';

export type Status = 'added' | 'modified' | 'deleted' | 'opaque';

/** One thing a layer did to a path. */
export interface PathEvent {
  layer: number;
  status: Status;
  /** What the path holds after the event (absent for `deleted`). */
  entry?: LayerEntry;
  /** For a `deleted` that came from above: the whiteout or opaque dir that caused it. */
  via?: string;
}

export class ImageFiles {
  /** path -> its events, in layer order. Every path that any layer ever held. */
  readonly history = new Map<string, PathEvent[]>();
  /** Children names of each directory path ever seen (`''` is the root). */
  readonly #children = new Map<string, Set<string>>();
  /** What is visible now (after the last applied layer): path -> its last event. */
  readonly #live = new Map<string, PathEvent>();
  layerCount = 0;

  /** Applies the next layer's changes (layers must come bottom first). */
  async applyLayer(entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>): Promise<void> {
    const layer = this.layerCount++;
    for await (const e of entries) this.#apply(layer, e);
  }

  /** Paths visible after the last applied layer, with the event that put them there. */
  get live(): ReadonlyMap<string, PathEvent> {
    return this.#live;
  }

  childrenOf(dir: string): ReadonlySet<string> {
    return this.#children.get(dir) ?? new Set();
  }

  #record(path: string, ev: PathEvent): void {
    let list = this.history.get(path);
    if (list === undefined) {
      this.history.set(path, (list = []));
      const slash = path.lastIndexOf('/');
      const dir = slash < 0 ? '' : path.slice(0, slash);
      let kids = this.#children.get(dir);
      if (kids === undefined) this.#children.set(dir, (kids = new Set()));
      kids.add(slash < 0 ? path : path.slice(slash + 1));
    }
    const last = list[list.length - 1];
    // Written twice in one layer (a tar may repeat a name): the later entry is the change.
    if (last?.layer === ev.layer && ev.status !== 'deleted') {
      ev = { ...ev, status: last.status === 'added' ? 'added' : ev.status };
      list[list.length - 1] = ev;
    } else list.push(ev);
    if (ev.status === 'deleted') this.#live.delete(path);
    else this.#live.set(path, ev);
  }

  /** Removes the live paths below `dir` (put there by layers below `before`, when given). */
  #removeBelow(dir: string, layer: number, via: string, before?: number): void {
    for (const name of this.#children.get(dir) ?? []) {
      const p = dir === '' ? name : `${dir}/${name}`;
      const cur = this.#live.get(p);
      if (cur === undefined) continue;
      if (before !== undefined && cur.layer >= before) continue;
      this.#removeBelow(p, layer, via, before);
      this.#record(p, { layer, status: 'deleted', via });
    }
  }

  #apply(layer: number, e: LayerEntry): void {
    const cur = this.#live.get(e.path);
    if (e.kind === 'whiteout') {
      if (cur === undefined) return; // deletes nothing that is there: no change to show
      this.#removeBelow(e.path, layer, e.path);
      this.#record(e.path, { layer, status: 'deleted' });
      return;
    }
    if (e.kind === 'opaque') {
      this.#removeBelow(e.path, layer, e.path, layer);
      const dir = this.#live.get(e.path)?.entry ?? { ...e, kind: 'dir' as const };
      this.#record(e.path, { layer, status: 'opaque', entry: dir });
      return;
    }
    if (cur?.entry?.kind === 'dir' && e.kind !== 'dir') this.#removeBelow(e.path, layer, e.path);
    if (cur?.entry?.kind === 'dir' && e.kind === 'dir') {
      // Every layer lists the parents of what it changes: only a metadata change is a change.
      const same = cur.entry.mode === e.mode && cur.entry.uid === e.uid && cur.entry.gid === e.gid;
      if (same || cur.layer === layer) {
        if (cur.layer === layer) cur.entry = e;
        return;
      }
    }
    this.#record(e.path, { layer, status: cur === undefined ? 'added' : 'modified', entry: e });
  }
}

/** The event in force for `events` at `layer` (the last one at or below it), if any. */
export function eventAt(events: readonly PathEvent[], layer: number): PathEvent | undefined {
  let found: PathEvent | undefined;
  for (const ev of events) {
    if (ev.layer > layer) break;
    found = ev;
  }
  return found;
}

/** Reads every layer of an image into an ImageFiles. */
export async function readImageFiles(
  layers: number,
  entries: (i: number) => AsyncIterable<LayerEntry>,
): Promise<ImageFiles> {
  const files = new ImageFiles();
  for (let i = 0; i < layers; i++) await files.applyLayer(entries(i));
  return files;
}
