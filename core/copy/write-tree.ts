/**
 * The plan of one copy: image paths mapped to the entries that land there, plus every
 * parent directory the staging dir needs. A later entry for the same path wins, as later
 * sources overwrite earlier ones in Docker.
 */
import path from 'node:path';
import type { FileEntry } from '../fs/file-entry.js';
import { InternalError } from '../oci/errors.js';

export interface DirMeta {
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
}

export interface PlannedDir {
  target: string;
  /** The copied directory, when one lands here; else the parent is created with `meta`. */
  entry?: FileEntry;
  meta: DirMeta;
}

export interface WriteTreeOptions {
  /** Metadata for parents that neither the sources nor the image provide. */
  defaultDir: DirMeta;
  /** Metadata of a directory that already exists in the image, if it does. */
  existing: (imagePath: string) => DirMeta | undefined;
}

/** A `//`, or a `.` or `..` segment: what path.posix.normalize would change in an absolute path. */
const UNCLEAN = /\/\/|\/\.\.?(?:\/|$)/;

function isNormalAbsolute(p: string): boolean {
  return p.charCodeAt(0) === 0x2f && !UNCLEAN.test(p);
}

export class WriteTree {
  readonly #root: string;
  readonly #opts: WriteTreeOptions;
  readonly #entries = new Map<string, FileEntry>();
  readonly #existing = new Map<string, DirMeta | undefined>();
  readonly #ensured = new Set<string>();

  constructor(staging: string, opts: WriteTreeOptions) {
    this.#root = path.resolve(staging);
    this.#opts = opts;
  }

  /** Plans `e` at image path `target` (absolute). */
  put(target: string, e: FileEntry): void {
    // Most targets are already normal (a clean base joined with a walked path): normalising
    // 10,000 of them twice (join, then here) was ~25 ms of a COPY rebuild.
    const t = isNormalAbsolute(target) ? target : path.posix.normalize(target);
    if (!t.startsWith('/')) throw new InternalError(`plan copy: ${target} is not absolute`);
    // A directory that exists in the image keeps its metadata (fsutil only sets metadata
    // on directories it creates); its contents still land below it.
    if (e.type === 'dir' && this.#existingMeta(t)) {
      this.#entries.delete(t);
      return;
    }
    this.#entries.set(t, e);
  }

  /**
   * Plans a directory at `target` (absolute, normal) that the step needs even if nothing is
   * copied into it: created with `defaultDir` metadata, or with the image's own when the
   * image already has it.
   */
  ensureDir(target: string): void {
    const t = path.posix.normalize(target);
    if (t !== '/') this.#ensured.add(t);
  }

  #existingMeta(t: string): DirMeta | undefined {
    if (!this.#existing.has(t)) this.#existing.set(t, this.#opts.existing(t));
    return this.#existing.get(t);
  }

  entries(): IterableIterator<[string, FileEntry]> {
    return this.#entries.entries();
  }

  /** Every directory to create, parents first: copied ones and the parents they need. */
  directories(): PlannedDir[] {
    const dirs = new Map<string, PlannedDir>();
    const addParents = (t: string): void => {
      for (let p = parentOf(t); p !== '/' && !dirs.has(p); p = parentOf(p)) {
        const e = this.#entries.get(p);
        if (e?.type === 'dir') break; // handled by its own entry, which adds its parents
        dirs.set(p, { target: p, meta: this.#existingMeta(p) ?? this.#opts.defaultDir });
      }
    };
    for (const [t, e] of this.#entries) {
      if (e.type === 'dir' && t !== '/') dirs.set(t, { target: t, entry: e, meta: this.#opts.defaultDir });
      addParents(t);
    }
    for (const t of this.#ensured) {
      if (dirs.has(t) || this.#entries.has(t)) continue;
      dirs.set(t, { target: t, meta: this.#existingMeta(t) ?? this.#opts.defaultDir });
      addParents(t);
    }
    return [...dirs.values()].sort(
      (a, b) => depth(a.target) - depth(b.target) || (a.target < b.target ? -1 : 1),
    );
  }

  /** The host path of an image path inside the staging dir. */
  hostPath(target: string): string {
    // Targets are normalized absolute paths (put() checks), so plain concatenation is the
    // join; path.join's own normalisation was ~35 ms over 10,000 files.
    return this.#root === '/' ? target : this.#root + target;
  }
}

/**
 * path.posix.dirname of a normal absolute path, by one lastIndexOf: called for every planned
 * entry, where dirname's own scan (a JS loop per call) showed in 10,000-file COPYs.
 */
function parentOf(p: string): string {
  if (p.length > 1 && p.charCodeAt(p.length - 1) === 0x2f) return path.posix.dirname(p);
  const slash = p.lastIndexOf('/');
  return slash <= 0 ? '/' : p.slice(0, slash);
}

function depth(p: string): number {
  let n = 0;
  for (const c of p) if (c === '/') n++;
  return n;
}
