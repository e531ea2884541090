/**
 * changes: what a RUN did, read from its (normalized) upper dir against its lowers. For
 * explaining a step ("added 12, modified 3, deleted 1"), not for building the layer: the
 * upper dir itself is the layer.
 */
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { LayerStack } from '../fs/layer-stack.js';
import { isOpaqueDir, isWhiteout } from '../fs/overlay-form.js';

export interface Change {
  kind: 'add' | 'modify' | 'delete';
  /** Root-relative path, no leading `/`. */
  path: string;
}

/**
 * Yields one change per upper entry, in a pre-order walk with names sorted: a whiteout is a
 * delete; an entry that exists in the merged lowers is a modify; anything else an add. An
 * opaque dir that replaces a lower dir also yields a delete for each lower child it hides
 * and that the upper does not re-add. `lowers` are top first.
 */
export function* changes(lowers: string[], upper: string): Generator<Change> {
  const view = new LayerStack(lowers);
  const root = path.resolve(upper);
  yield* walk(root, '', isOpaqueDir(root) ? [] : view.rootLayers(), view);
}

function* walk(upper: string, rel: string, layers: readonly number[], view: LayerStack): Generator<Change> {
  for (const name of readdirSync(path.join(upper, rel)).sort()) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const st = lstatSync(path.join(upper, r));
    const lower = view.lookupIn(layers, r);
    if (isWhiteout(st)) {
      yield { kind: 'delete', path: r };
      continue;
    }
    yield { kind: lower === null ? 'add' : 'modify', path: r };
    if (!st.isDirectory()) continue;
    const lowerDir = lower?.st.isDirectory() === true;
    if (lowerDir && isOpaqueDir(path.join(upper, r))) {
      const hidden = new Set<string>();
      for (const i of view.childLayers(layers, r)) {
        for (const n of readdirSync(path.join(view.layers[i], r))) hidden.add(n);
      }
      const kept = new Set(readdirSync(path.join(upper, r)));
      for (const n of [...hidden].sort()) if (!kept.has(n)) yield { kind: 'delete', path: `${r}/${n}` };
      yield* walk(upper, r, [], view);
    } else yield* walk(upper, r, lowerDir ? view.childLayers(layers, r) : [], view);
  }
}
