/**
 * A read-only merged view over layer diff dirs, top-most first, with overlay's rules: a
 * character device 0:0 is a whiteout that hides the name in every lower layer; a directory
 * with xattr `trusted.overlay.opaque=y` hides everything below it in lower layers; a
 * non-directory hides lower directories of the same name. Symlinks are resolved as if the
 * merged tree were `/` (chroot semantics), so nothing reached through this view is ever
 * outside the layer dirs.
 *
 * Reads are synchronous (see core/context/walk-tree.ts for why); results for directories
 * are memoised, since layer dirs are immutable while a build reads them.
 */
import { type BigIntStats, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedPath } from '../context/context-path.js';
import { entryFromStat, type FileEntry } from '../context/file-entry.js';
import type { SourceView } from '../context/resolve-sources.js';
import type { ListedChild } from '../context/walk-tree.js';
import { isOpaqueDir, isWhiteout } from '../diff/overlay-form.js';
import { InvalidInputError } from '../oci/errors.js';

const MAX_LINKS = 40;

function lstatOrUndefined(abs: string): BigIntStats | undefined {
  try {
    return lstatSync(abs, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new InvalidInputError(`read layer: ${abs}: ${code ?? 'error'}`, { cause: err });
  }
}

export class LayerView implements SourceView {
  readonly layers: readonly string[];
  readonly #dirLayers = new Map<string, number[] | null>();

  /** @param diffDirsTopFirst absolute diff dirs, the top-most (newest) layer first. */
  constructor(diffDirsTopFirst: readonly string[]) {
    this.layers = diffDirsTopFirst.map((d) => path.resolve(d));
  }

  /** The layers (indexes, top first) whose copy of directory `rel` shows in the merged view; null if `rel` is not a directory there. */
  dirLayers(rel: string): number[] | null {
    const known = this.#dirLayers.get(rel);
    if (known !== undefined) return known;
    let result: number[] | null;
    if (rel === '') {
      result = this.layers.map((_, i) => i);
    } else {
      const parent = this.dirLayers(parentOf(rel));
      const found: number[] = [];
      for (const i of parent ?? []) {
        const abs = path.join(this.layers[i], rel);
        const st = lstatOrUndefined(abs);
        if (!st) continue;
        if (isWhiteout(st) || !st.isDirectory()) break;
        found.push(i);
        if (isOpaqueDir(abs)) break;
      }
      result = found.length > 0 ? found : null;
    }
    this.#dirLayers.set(rel, result);
    return result;
  }

  /** The top-most visible copy of `rel` (no symlink following), or undefined. */
  lookup(rel: string): { abs: string; st: BigIntStats } | undefined {
    if (rel === '') {
      const abs = this.layers[0];
      const st = abs === undefined ? undefined : lstatOrUndefined(abs);
      return st ? { abs, st } : undefined;
    }
    for (const i of this.dirLayers(parentOf(rel)) ?? []) {
      const abs = path.join(this.layers[i], rel);
      const st = lstatOrUndefined(abs);
      if (!st) continue;
      if (isWhiteout(st)) return undefined;
      return { abs, st };
    }
    return undefined;
  }

  /** Resolves `rel` with chroot semantics: absolute link targets restart at the merged root, `..` stops there. */
  resolve(rel: string, followFinal: boolean, named: string): Promise<ResolvedPath> {
    return Promise.resolve(this.resolveSync(rel, followFinal, named));
  }

  resolveSync(rel: string, followFinal: boolean, named: string): ResolvedPath {
    const pending = rel.split('/').reverse();
    const done: string[] = [];
    let links = 0;
    while (pending.length > 0) {
      const part = pending.pop() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        done.pop();
        continue;
      }
      done.push(part);
      const hit = this.lookup(done.join('/'));
      if (!hit) {
        const missing = [...done, ...pending.reverse()].join('/');
        return { rel: missing, abs: path.join(this.layers[0] ?? '/nonexistent', missing), exists: false };
      }
      if (!hit.st.isSymbolicLink() || (pending.length === 0 && !followFinal)) continue;
      if (++links > MAX_LINKS) throw new InvalidInputError(`copy: too many levels of symlinks in ${named}`);
      const target = readlinkSync(hit.abs);
      done.pop();
      if (target.startsWith('/')) done.length = 0;
      const parts = target.split('/');
      for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]);
    }
    const finalRel = done.join('/');
    const hit = this.lookup(finalRel);
    if (!hit)
      return { rel: finalRel, abs: path.join(this.layers[0] ?? '/nonexistent', finalRel), exists: false };
    return { rel: finalRel, abs: hit.abs, exists: true };
  }

  /** The merged-root path of a host path inside one of the layers. */
  rootRelOf(abs: string): string {
    for (const l of this.layers) {
      if (abs === l) return '';
      if (abs.startsWith(`${l}/`)) return abs.slice(l.length + 1);
    }
    throw new InvalidInputError(`read layer: ${abs} is not inside any layer`);
  }

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
          const st = lstatOrUndefined(abs);
          if (!st || isWhiteout(st)) continue;
        }
        out.push({ name: d.name, abs, isDir: d.isDirectory() });
      }
    }
    return out;
  }

  stat(rel: string, abs: string): FileEntry {
    const st = lstatOrUndefined(abs);
    if (!st) throw new InvalidInputError(`read layer: ${abs}: ENOENT`);
    return entryFromStat(rel, abs, st, undefined, st.isSymbolicLink() ? readlinkSync(abs) : undefined);
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
