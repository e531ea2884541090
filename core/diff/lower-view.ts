/**
 * LowerView: answers "what does the merged lower stack hold at this path?" for a list of
 * overlay lower dirs (top first, like overlay's `lowerdir=` option), honouring whiteouts,
 * opaque dirs and non-directories that hide everything below them.
 *
 * Walkers carry, per directory, the indices of the lowers in which that directory is
 * visible, so a lookup costs one lstat per lower that has the directory, not per ancestor.
 */
import type { Stats } from 'node:fs';
import path from 'node:path';
import { lstatOrNull } from './confined-path.js';
import { isOpaqueDir, isWhiteout } from './overlay-form.js';

export interface LowerHit {
  path: string;
  st: Stats;
}

export class LowerView {
  readonly lowers: readonly string[];
  constructor(lowers: readonly string[]) {
    this.lowers = lowers.map((l) => path.resolve(l));
  }

  /** Lowers in which the root is visible: all of them, down to the first opaque root. */
  rootLayers(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.lowers.length; i++) {
      out.push(i);
      if (isOpaqueDir(this.lowers[i])) break;
    }
    return out;
  }

  /** The topmost visible entry at `rel` among `layers` (visible lowers of its parent). */
  lookup(layers: readonly number[], rel: string): LowerHit | null {
    for (const i of layers) {
      const p = path.join(this.lowers[i], rel);
      const st = lstatOrNull(p);
      if (st === null) continue;
      return isWhiteout(st) ? null : { path: p, st };
    }
    return null;
  }

  /** Lowers in which directory `rel` is visible, given its parent's visible lowers. */
  childLayers(layers: readonly number[], rel: string): number[] {
    const out: number[] = [];
    for (const i of layers) {
      const p = path.join(this.lowers[i], rel);
      const st = lstatOrNull(p);
      if (st === null) continue;
      if (!st.isDirectory()) break; // a file or whiteout hides this path in lowers below
      out.push(i);
      if (isOpaqueDir(p)) break;
    }
    return out;
  }
}
