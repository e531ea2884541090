/**
 * changes: what a RUN did, read from its (normalized) upper dir against its lowers. For
 * explaining a step ("added 12, modified 3, deleted 1"), not for building the layer: the
 * upper dir itself is the layer.
 */
import path from 'node:path';
import { LayerStack } from '../fs/layer-stack.js';
import { isOpaqueDir, isWhiteout } from '../fs/overlay-form.js';
import { walkDirSteps } from '../fs/walk-dir.js';

export interface Change {
  kind: 'add' | 'modify' | 'delete';
  /** Root-relative path, no leading `/`. */
  path: string;
}

/**
 * Yields one change per upper entry, in a pre-order walk with names sorted (UTF-8 bytes, as
 * in the layer tar): a whiteout is a delete; an entry that exists in the merged lowers is a
 * modify; anything else an add. An opaque dir that replaces a lower dir also yields a delete
 * for each lower child it hides and that the upper does not re-add. `lowers` are top first.
 */
export function* changes(lowers: string[], upper: string): Generator<Change> {
  const view = new LayerStack(lowers);
  const root = path.resolve(upper);
  // The lower layers each directory being walked shows in, root first.
  const layers: (readonly number[])[] = [isOpaqueDir(root) ? [] : view.rootLayers()];
  // Names an opaque dir just entered hides, to be set against its listing.
  let hidden: { rel: string; names: Set<string> } | undefined;
  const steps = walkDirSteps(root);
  try {
    let r = steps.next();
    while (!r.done) {
      const s = r.value;
      if (s.type === 'enter') {
        if (hidden !== undefined) {
          const kept = new Set(s.keys);
          for (const n of [...hidden.names].sort()) {
            if (!kept.has(n)) yield { kind: 'delete', path: `${hidden.rel}/${n}` };
          }
          hidden = undefined;
        }
        r = steps.next();
        continue;
      }
      if (s.type === 'leave') {
        layers.pop();
        r = steps.next();
        continue;
      }
      const v = s.visit;
      const parent = layers[layers.length - 1];
      const lower = view.lookupIn(parent, v.rel);
      if (isWhiteout(v.st)) {
        yield { kind: 'delete', path: v.rel };
        r = steps.next(false);
        continue;
      }
      yield { kind: lower === null ? 'add' : 'modify', path: v.rel };
      if (!v.st.isDirectory()) {
        r = steps.next(false);
        continue;
      }
      const lowerDir = lower?.st.isDirectory() === true;
      if (lowerDir && isOpaqueDir(v.at)) {
        hidden = { rel: v.rel, names: view.namesIn(view.childLayers(parent, v.rel), v.rel) };
        layers.push([]);
      } else layers.push(lowerDir ? view.childLayers(parent, v.rel) : []);
      r = steps.next(true);
    }
  } finally {
    steps.return(undefined);
  }
}
