/**
 * normalizeUpperDir: turns an overlay upper dir, after a RUN, into exactly the RUN's change.
 */
import { lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { LayerStack } from '../fs/layer-stack.js';
import {
  isOpaqueDir,
  isWhiteout,
  listXattrs,
  OPAQUE_XATTR,
  removeXattr,
  USER_OPAQUE_XATTR,
} from '../fs/overlay-form.js';
import { InvalidInputError } from '../oci/errors.js';
import { isOverlayXattr, sameEntry, sameMeta } from './entry-compare.js';

/**
 * Rewrites `upper` (the upper dir of an unmounted overlay whose lower dirs were `lowers`,
 * top first) in place:
 * - removes non-directories that were only copied up: same type, mode, uid, gid, size,
 *   content, link target, device number and non-overlay xattrs as the merged lower entry
 *   (copy-up happens on chmod-to-same, open for write, `mv a b; mv b a`...);
 * - removes directories that exist in the lower with the same metadata and are empty once
 *   their children are pruned, unless they are opaque;
 * - keeps whiteout devices and opaque markers;
 * - strips overlay's private xattrs (trusted.overlay.origin, impure, ...) from what stays,
 *   except the opaque marker (`trusted.overlay.opaque`, or `user.overlay.opaque` from a
 *   rootless build's overlay).
 * A redirect or metacopy xattr (overlay mounted with redirect_dir/metacopy) cannot be
 * turned into a layer: InvalidInputError. Returns how many entries were removed.
 */
export async function normalizeUpperDir(upper: string, lowers: string[]): Promise<{ removed: number }> {
  const view = new LayerStack(lowers);
  const state = { removed: 0 };
  const root = path.resolve(upper);
  stripOverlayXattrs(root);
  visit(root, '', isOpaqueDir(root) ? [] : view.rootLayers(), view, state);
  return state;
}

/** Walks one upper directory; returns true when nothing is left in it. */
function visit(
  upper: string,
  rel: string,
  layers: readonly number[],
  view: LayerStack,
  state: { removed: number },
): boolean {
  let left = 0;
  for (const name of readdirSync(path.join(upper, rel))) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const p = path.join(upper, r);
    const st = lstatSync(p);
    if (isWhiteout(st)) {
      left++;
      continue;
    }
    stripOverlayXattrs(p);
    const lower = view.lookupIn(layers, r);
    if (st.isDirectory()) {
      const opaque = isOpaqueDir(p);
      const child = opaque || !lower?.st.isDirectory() ? [] : view.childLayers(layers, r);
      const empty = visit(upper, r, child, view, state);
      if (empty && !opaque && lower?.st.isDirectory() && sameMeta(p, st, lower.abs, lower.st)) {
        rmdirSync(p);
        state.removed++;
      } else left++;
      continue;
    }
    if (lower !== null && !lower.st.isDirectory() && sameEntry(p, st, lower.abs, lower.st)) {
      unlinkSync(p);
      state.removed++;
    } else left++;
  }
  return left === 0;
}

function stripOverlayXattrs(p: string): void {
  for (const n of listXattrs(p)) {
    if (/^(trusted|user)\.overlay\.(redirect|metacopy)$/.test(n)) {
      throw new InvalidInputError(
        `normalize upper dir: ${p} has ${n}; mount overlay with redirect_dir=off,metacopy=off`,
      );
    }
    if (isOverlayXattr(n) && n !== OPAQUE_XATTR && n !== USER_OPAQUE_XATTR) removeXattr(p, n);
  }
}
