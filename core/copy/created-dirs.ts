/**
 * The one rule for directories that COPY, ADD and WORKDIR create rather than copy: the
 * destination itself when it is missing and every missing parent. BuildKit makes them with
 * fsutil's MkdirAll (tonistiigi/fsutil copy/copy.go `Copy`, `prepareTargetDir`; moby/buildkit
 * dockerfile2llb `dispatchWorkdir`): mode 0755, or a numeric `--chmod`'s permission bits
 * (symbolic modes leave them 0755); owned by the `--chown` user (WORKDIR: the stage's USER),
 * else root; a directory that already exists in the image keeps its own metadata. Their
 * mtime is SOURCE_DATE_EPOCH, else the epoch, never the build time, so the layer's diffID
 * does not depend on when it was built (ko and Bazel make the same choice).
 */

import { keptOwner } from '../fs/kept-owner.js';
import type { LayerStack } from '../fs/layer-stack.js';
import { octalChmod } from './chmod-spec.js';
import type { Owner } from './copy-into.js';
import { type DirMeta, WriteTree } from './write-tree.js';

export interface CreatedDirOptions {
  chown?: Owner;
  /** The step's --chmod as written; only an octal one applies to created directories. */
  chmod?: string;
  sourceDateEpoch?: number;
}

/** The mtime of what a step creates rather than copies: SOURCE_DATE_EPOCH, else the epoch. */
export function createdMtime(sde: number | undefined): number {
  return sde ?? 0;
}

/** Metadata for a directory the step creates. */
export function createdDirMeta(o: CreatedDirOptions): DirMeta {
  const octal = o.chmod === undefined ? undefined : octalChmod(o.chmod);
  return {
    // Go's os.FileMode drops the special bits of a plain number: only rwx survives MkdirAll.
    mode: octal === undefined ? 0o755 : octal & 0o777,
    uid: o.chown?.uid ?? 0,
    gid: o.chown?.gid ?? 0,
    mtime: createdMtime(o.sourceDateEpoch),
  };
}

/** Metadata of a directory that already exists in the image at `imagePath`, if it does. */
export function lowerDirMeta(lower: LayerStack | undefined, imagePath: string): DirMeta | undefined {
  if (!lower) return undefined;
  const r = lower.resolveSync(imagePath.replace(/^\/+/, ''), true, imagePath);
  if (!r.exists) return undefined;
  const hit = lower.lookup(r.rel);
  if (!hit?.st.isDirectory()) return undefined;
  return {
    mode: Number(hit.st.mode & 0o7777n),
    ...keptOwner(hit.abs, hit.st),
    mtime: Number(hit.st.mtimeNs) / 1e9,
  };
}

/**
 * Where a destination lands in the image: symlinks already in the image are followed, the
 * last component's too, with chroot (clamp) semantics, as BuildKit resolves a COPY
 * destination with continuity's fs.RootPath. `COPY foo /link/` where `/link ->
 * ../tmp/target` dangles writes /tmp/target/foo; a missing rest is kept as written.
 */
export function landingPath(lower: LayerStack | undefined, imagePath: string): string {
  if (!lower) return imagePath;
  return `/${lower.resolveSync(imagePath.replace(/^\/+/, ''), true, imagePath).rel}`;
}

/** A WriteTree for one step's staging dir that creates directories by this rule. */
export function destinationTree(
  staging: string,
  lower: LayerStack | undefined,
  o: CreatedDirOptions,
): WriteTree {
  return new WriteTree(staging, {
    defaultDir: createdDirMeta(o),
    existing: (p) => lowerDirMeta(lower, p),
  });
}
