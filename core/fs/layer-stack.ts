/**
 * LayerStack: a read-only merged view over layer diff dirs, top-most first, and the one
 * implementation of overlay's merge rules in strata:
 * - a character device 0:0 is a whiteout that hides the name in every lower layer;
 * - a directory with `trusted.overlay.opaque=y` (or the userxattr form) hides everything
 *   below it in lower layers; that includes a layer's root: an opaque root hides every
 *   lower layer entirely (a pulled layer may mark its root so);
 * - a non-directory hides lower directories of the same name.
 * Symlinks are resolved as if the merged tree were `/` (resolvePath's `clamp` policy), so
 * nothing reached through this view is ever outside the layer dirs.
 *
 * Two kinds of caller share it: source selection and COPY destinations (`dirLayers`,
 * `lookup`, `list`, `stat`, `resolve`, memoised per directory since layer dirs are immutable
 * while a build reads them), and walkers that carry, per directory, the layers in which it is
 * visible (`rootLayers`, `childLayers`, `lookupIn`: what a RUN's upper dir is compared with).
 * Reads are synchronous (see walk-tree.ts for why).
 */
import { type BigIntStats, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../oci/errors.js';
import { entryFromStat, type FileEntry } from './file-entry.js';
import { keptOwner } from './kept-owner.js';
import { isOpaqueDir, isWhiteout } from './overlay-form.js';
import { type PathLookup, type PathProbe, resolvePath } from './resolve-path.js';
import type { ListedChild } from './walk-tree.js';

export interface ResolvedPath {
  /** Root-relative path after following symlinks (`''` is the root). */
  rel: string;
  /** Host path of the top-most copy (or where it would be, when missing). */
  abs: string;
  exists: boolean;
}

export interface StackHit<S extends Stats | BigIntStats = BigIntStats> {
  abs: string;
  st: S;
}

function lstatOr<B extends boolean>(
  abs: string,
  bigint: B,
): (B extends true ? BigIntStats : Stats) | undefined {
  try {
    return lstatSync(abs, { bigint }) as B extends true ? BigIntStats : Stats;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new InvalidInputError(`read layer: ${abs}: ${code ?? 'error'}`, { cause: err });
  }
}

export class LayerStack implements PathLookup {
  readonly layers: readonly string[];
  readonly #dirLayers = new Map<string, readonly number[] | null>();
  #root: readonly number[] | undefined;

  /** @param diffDirsTopFirst diff dirs, the top-most (newest) layer first. */
  constructor(diffDirsTopFirst: readonly string[]) {
    this.layers = diffDirsTopFirst.map((d) => path.resolve(d));
  }

  /** The layers whose root shows: all of them, down to and including the first opaque root. */
  rootLayers(): readonly number[] {
    if (this.#root !== undefined) return this.#root;
    const out: number[] = [];
    for (let i = 0; i < this.layers.length; i++) {
      out.push(i);
      if (isOpaqueDir(this.layers[i])) break;
    }
    this.#root = out;
    return out;
  }

  /** The layers in which directory `rel` is visible, given those of its parent. */
  childLayers(parent: readonly number[], rel: string): number[] {
    const out: number[] = [];
    for (const i of parent) {
      const abs = path.join(this.layers[i], rel);
      const st = lstatOr(abs, false);
      if (!st) continue;
      if (!st.isDirectory()) break; // a file or a whiteout hides this path in every lower layer
      out.push(i);
      if (isOpaqueDir(abs)) break;
    }
    return out;
  }

  /** The top-most visible entry at `rel` among `layers` (the visible layers of its parent). */
  lookupIn(layers: readonly number[], rel: string): StackHit<Stats> | null {
    for (const i of layers) {
      const abs = path.join(this.layers[i], rel);
      const st = lstatOr(abs, false);
      if (!st) continue;
      return isWhiteout(st) ? null : { abs, st };
    }
    return null;
  }

  /**
   * Every name directory `rel` holds in the given layers (whiteouts included): what an opaque
   * directory over them hides. A flat listing of our own layer dirs.
   */
  namesIn(layers: readonly number[], rel: string): Set<string> {
    const out = new Set<string>();
    for (const i of layers) for (const n of readdirSync(path.join(this.layers[i], rel))) out.add(n);
    return out;
  }

  /** The layers (indexes, top first) in which directory `rel` shows; null if it is no directory there. */
  dirLayers(rel: string): readonly number[] | null {
    const known = this.#dirLayers.get(rel);
    if (known !== undefined) return known;
    let result: readonly number[] | null;
    if (rel === '') result = this.rootLayers();
    else {
      const found = this.childLayers(this.dirLayers(parentOf(rel)) ?? [], rel);
      result = found.length > 0 ? found : null;
    }
    this.#dirLayers.set(rel, result);
    return result;
  }

  /** The top-most visible copy of `rel` (no symlink following), or undefined. */
  lookup(rel: string): StackHit | undefined {
    if (rel === '') {
      const abs = this.layers[0];
      const st = abs === undefined ? undefined : lstatOr(abs, true);
      return st ? { abs, st } : undefined;
    }
    for (const i of this.dirLayers(parentOf(rel)) ?? []) {
      const abs = path.join(this.layers[i], rel);
      const st = lstatOr(abs, true);
      if (!st) continue;
      if (isWhiteout(st)) return undefined;
      return { abs, st };
    }
    return undefined;
  }

  probe(rel: string): PathProbe | undefined {
    const hit = this.lookup(rel);
    if (!hit) return undefined;
    return { kind: hit.st.isSymbolicLink() ? 'link' : hit.st.isDirectory() ? 'dir' : 'other' };
  }

  readLink(rel: string): string {
    const hit = this.lookup(rel);
    if (!hit) throw new InvalidInputError(`read layer: ${rel}: ENOENT`);
    return readlinkSync(hit.abs);
  }

  /** Resolves `rel` with chroot semantics: absolute link targets restart at the merged root, `..` stops there. */
  resolve(rel: string, followFinal: boolean, named: string): Promise<ResolvedPath> {
    return Promise.resolve(this.resolveSync(rel, followFinal, named));
  }

  resolveSync(rel: string, followFinal: boolean, named: string): ResolvedPath {
    const r = resolvePath(this, rel, { policy: 'clamp', followFinal, named, what: 'copy' });
    const hit = r.exists ? this.lookup(r.rel) : undefined;
    const abs = hit?.abs ?? path.join(this.layers[0] ?? '/nonexistent', r.rel);
    return { rel: r.rel, abs, exists: hit !== undefined };
  }

  /** The merged-root path of a host path inside one of the layers. */
  rootRelOf(abs: string): string {
    for (const l of this.layers) {
      if (abs === l) return '';
      if (abs.startsWith(`${l}/`)) return abs.slice(l.length + 1);
    }
    throw new InvalidInputError(`read layer: ${abs} is not inside any layer`);
  }

  /** The merged children of a directory, whiteouts and hidden lower names removed. */
  list(dir: FileEntry): ListedChild[] {
    const rel = this.rootRelOf(dir.abs);
    const seen = new Set<string>();
    const out: ListedChild[] = [];
    for (const i of this.dirLayers(rel) ?? []) {
      const dirAbs = path.join(this.layers[i], rel);
      for (const d of readdirSync(dirAbs, { withFileTypes: true })) {
        if (seen.has(d.name)) continue;
        seen.add(d.name);
        const abs = path.join(dirAbs, d.name);
        if (d.isCharacterDevice()) {
          const st = lstatOr(abs, true);
          if (!st || isWhiteout(st)) continue;
        }
        out.push({ name: d.name, abs, isDir: d.isDirectory() });
      }
    }
    return out;
  }

  stat(rel: string, abs: string): FileEntry {
    const st = lstatOr(abs, true);
    if (!st) throw new InvalidInputError(`read layer: ${abs}: ENOENT`);
    // Owners as the layer records them: a rootless build keeps some in an xattr (kept-owner.ts).
    return entryFromStat(
      rel,
      abs,
      st,
      keptOwner(abs, st),
      st.isSymbolicLink() ? readlinkSync(abs) : undefined,
    );
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
