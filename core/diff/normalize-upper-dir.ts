/**
 * normalizeUpperDir: turns an overlay upper dir, after a RUN, into exactly the RUN's change.
 */
import { rmdirSync, type Stats, unlinkSync } from 'node:fs';
import path from 'node:path';
import { LayerStack, type StackHit } from '../fs/layer-stack.js';
import {
  isOpaqueDir,
  isWhiteout,
  listXattrs,
  OPAQUE_XATTR,
  removeXattr,
  USER_OPAQUE_XATTR,
} from '../fs/overlay-form.js';
import { walkDirSync } from '../fs/walk-dir.js';
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
  const root = path.resolve(upper);
  stripOverlayXattrs(root, root);
  return { removed: prune(root, view) };
}

/** An upper directory being walked: the lower layers it shows in, and what is left in it. */
interface UpperDir {
  layers: readonly number[];
  /** Children kept so far. */
  left: number;
  opaque: boolean;
  lower: StackHit<Stats> | null;
}

/**
 * Walks the upper dir through core/fs's walker and removes what a copy-up left unchanged;
 * returns how many entries went. The tree was written by the step's container, so it is
 * untrusted: every unlink, rmdir and xattr call names the entry through the directory the
 * walker holds open (`at`), never through a path a symlink could have been swapped into,
 * and none of them follows a final symlink (unlink and rmdir never do, the xattr calls are
 * the l* forms). A directory is removed only after its children, and only when empty.
 */
function prune(root: string, view: LayerStack): number {
  let removed = 0;
  const dirs: UpperDir[] = [
    { layers: isOpaqueDir(root) ? [] : view.rootLayers(), left: 0, opaque: false, lower: null },
  ];
  walkDirSync(
    root,
    {
      visit(v) {
        const parent = dirs[dirs.length - 1];
        const st = v.st;
        if (isWhiteout(st)) {
          parent.left++;
          return false;
        }
        stripOverlayXattrs(v.at, v.path);
        const lower = view.lookupIn(parent.layers, v.rel);
        if (st.isDirectory()) {
          const opaque = isOpaqueDir(v.at);
          const layers = opaque || !lower?.st.isDirectory() ? [] : view.childLayers(parent.layers, v.rel);
          dirs.push({ layers, left: 0, opaque, lower });
          return true;
        }
        if (lower !== null && !lower.st.isDirectory() && sameEntry(v.at, st, lower.abs, lower.st)) {
          unlinkSync(v.at);
          removed++;
        } else parent.left++;
        return false;
      },
      leave(v) {
        const d = dirs.pop() as UpperDir;
        const lower = d.lower;
        if (
          d.left === 0 &&
          !d.opaque &&
          lower?.st.isDirectory() &&
          sameMeta(v.at, v.st, lower.abs, lower.st)
        ) {
          rmdirSync(v.at);
          removed++;
        } else dirs[dirs.length - 1].left++;
      },
    },
    { order: 'listing' },
  );
  return removed;
}

/** Strips overlay's private xattrs from `p` (named `shown` in messages). */
function stripOverlayXattrs(p: string, shown: string): void {
  for (const n of listXattrs(p)) {
    if (/^(trusted|user)\.overlay\.(redirect|metacopy)$/.test(n)) {
      throw new InvalidInputError(
        `normalize upper dir: ${shown} has ${n}; mount overlay with redirect_dir=off,metacopy=off`,
      );
    }
    if (isOverlayXattr(n) && n !== OPAQUE_XATTR && n !== USER_OPAQUE_XATTR) removeXattr(p, n);
  }
}
