/**
 * LayerFiles: what a COPY layer remembers about its regular files (a JSON blob the cache
 * record names), so the next run of the same step can link unchanged files from it and
 * copy their tar entries from a kept tar.
 *
 * Format (version 2): `{ v: 2, tar?, files: [target, digest, mtime, fromTar][] }`.
 * `mtime` is the one written (seconds, clamped); `fromTar` is 1 when the file at `target`
 * is the very inode the blob `tar` (an uncompressed layer tar, digest = its diffID) was
 * written from: linked unchanged through any number of rebuilds since. Version 1 (bare
 * `[target, digest]` pairs) reuses nothing: it did not record mtimes.
 */
import type { FileEntry } from '../fs/file-entry.js';
import { type Digest, isDigest } from '../oci/digest.js';

export type LayerFileRow = [target: string, digest: string, mtime: number, fromTar: 0 | 1];

export interface LayerFilesDoc {
  v: 2;
  tar?: Digest;
  files: LayerFileRow[];
}

/** The previous result of a COPY step, as far as linking and tar copying need it. */
export class PreviousFiles {
  readonly #rows = new Map<string, LayerFileRow>();
  readonly #diffDir: string;
  readonly #sde: number | undefined;
  /** The kept tar whose inodes the `fromTar` rows are, if any. */
  readonly tar: Digest | undefined;

  /** `doc` as read from the blob (any version); `diffDir` is the previous layer's diff dir. */
  constructor(doc: unknown, diffDir: string, sde: number | undefined) {
    this.#diffDir = diffDir;
    this.#sde = sde;
    const d = doc as Partial<LayerFilesDoc> | null;
    const ok = d !== null && typeof d === 'object' && d.v === 2 && Array.isArray(d.files);
    this.tar = ok ? keptTarOf(d) : undefined;
    if (ok) for (const row of d.files as LayerFileRow[]) this.#rows.set(row[0], row);
  }

  /**
   * The previous layer's file to hard-link for `target`, when it has the same content and
   * the mtime this copy would write (owner and mode are the same operation's). No stat: a
   * layer's files are immutable, and a path that is gone fails the link (then it is copied).
   */
  reuse(target: string, e: FileEntry): string | undefined {
    const row = this.#rows.get(target);
    if (e.digest === undefined || row === undefined || row[1] !== e.digest) return undefined;
    const sde = this.#sde;
    if (row[2] !== (sde !== undefined && e.mtime > sde ? sde : e.mtime)) return undefined;
    return this.#diffDir + target;
  }

  /** True when the previous layer's file at `target` is an inode `tar` was written from. */
  fromTar(target: string): boolean {
    return this.tar !== undefined && this.#rows.get(target)?.[3] === 1;
  }
}

/**
 * The kept layer tar a layer-files document (as read from its blob, any version) names,
 * if any: gc keeps it alive while the record that names the document lives.
 */
export function keptTarOf(doc: unknown): Digest | undefined {
  const d = doc as Partial<LayerFilesDoc> | null | undefined;
  return d?.v === 2 && typeof d.tar === 'string' && isDigest(d.tar) ? d.tar : undefined;
}
