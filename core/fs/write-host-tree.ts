/**
 * writeHostTree: writes a tree (an image's merged filesystem, read from trusted store dirs)
 * into a host directory the user named and may already use, such as `--output type=local`.
 *
 * The rules, and why (BuildKit's local exporter is the model: it streams the merged result
 * to fsutil's DiskWriter in merge mode, into an os.Root opened on the destination):
 * - Nothing already in the destination is deleted, emptied or followed. The tree is the final
 *   filesystem; an image's deletions are already applied to it and never replayed on the
 *   destination (a `.git` beside the output survives any opaque layer).
 * - Every directory is entered by descriptor, opened O_NOFOLLOW (core/fs/dir-handle.ts):
 *   a symlink the destination holds where the tree has a directory is never written through.
 * - New entries are created exclusively (O_EXCL, mkdir, symlink, mknod, link all fail on an
 *   existing name). Where the destination already holds a non-directory and the tree has a
 *   non-directory, the new entry is made under a random temp name and renamed over it, as
 *   BuildKit does: the image's file wins, the old one is replaced and never written through
 *   (a symlink there is replaced, not followed).
 * - A directory against a non-directory (either way round) is a conflict: BuildKit removes
 *   the old entry (os.RemoveAll); strata leaves it, writes the rest, and then fails with
 *   InvalidInputError naming every path in the way, so no user data is deleted.
 * - Ownership is kept when `keepOwners` (root); device nodes are made only then; hard links
 *   within the tree stay hard links; mode and mtime are set on everything it writes, and on
 *   the directories it merges into (as BuildKit does), never on the destination itself.
 * xattrs are not copied (BuildKit's local export drops them too unless it runs as root),
 * except with `keepXattrs`, which the copy snapshotter uses to merge lowers into a private
 * directory; overlay's own opaque markers are never copied (the merge has applied them).
 */
import { type BigIntStats, closeSync, constants, lstatSync } from 'node:fs';
import { copyFile, type FileHandle, link, lutimes, rename, symlink, unlink } from 'node:fs/promises';
import { InvalidInputError, NoSpaceError } from '../oci/errors.js';
import { DirHandle, NotADirectoryHere } from './dir-handle.js';
import { createExclusive, tempNameIn } from './exclusive-file.js';
import { keptOwner, setOwnerSync } from './kept-owner.js';
import { openWalkedSync, readLinkWalked } from './open-walked.js';
import {
  devMajor,
  devMinor,
  getXattr,
  listXattrs,
  mknod,
  OPAQUE_XATTR,
  setXattr,
  USER_OPAQUE_XATTR,
} from './overlay-form.js';

/** One entry of a source directory: its name and the host path that holds its bytes. */
export interface SourceChild {
  name: string;
  abs: string;
}

/** The tree to write, read-only: `list(abs)` gives the children of a directory. */
export interface TreeSource {
  /** Host path of the tree's root directory (its children are listed with list(root)). */
  root: string;
  list(dirAbs: string): SourceChild[];
}

export interface WriteHostTreeOptions {
  /** Keep uid/gid and make device nodes (only root can). */
  keepOwners: boolean;
  /** Copy the extended attributes of files and directories (file capabilities, say). */
  keepXattrs?: boolean;
}

interface WriteState {
  opts: WriteHostTreeOptions;
  top: DirHandle;
  /** source dev:ino -> the dest path (from `top`) of its first copy, for hard links. */
  links: Map<string, string>;
  conflicts: string[];
}

/**
 * Writes `source` into `dest` (created with its parents if absent; the path `dest` itself is
 * followed as given). Resolves when everything that could be written is; throws
 * InvalidInputError listing the conflicts when some paths were in the way (see the module
 * comment). Not atomic: a failure part way leaves what was written so far.
 */
export async function writeHostTree(
  source: TreeSource,
  dest: string,
  opts: WriteHostTreeOptions,
): Promise<void> {
  const top = await DirHandle.openNamed(dest);
  const state: WriteState = { opts, top, links: new Map(), conflicts: [] };
  try {
    await writeChildren(source, source.root, top, '', state);
  } catch (err) {
    throw placeError(err, dest);
  } finally {
    await top.close();
  }
  if (state.conflicts.length > 0) {
    const shown = state.conflicts.slice(0, 10).join('; ');
    const more = state.conflicts.length > 10 ? `; and ${state.conflicts.length - 10} more` : '';
    throw new InvalidInputError(
      `export to ${dest}: ${state.conflicts.length} path(s) in the way were left as they are and not written: ${shown}${more}`,
    );
  }
}

async function writeChildren(
  source: TreeSource,
  srcDir: string,
  dir: DirHandle,
  rel: string,
  state: WriteState,
): Promise<void> {
  for (const child of source.list(srcDir).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const st = lstatSync(child.abs, { bigint: true });
    const childRel = rel === '' ? child.name : `${rel}/${child.name}`;
    if (st.isDirectory()) {
      let sub: DirHandle;
      try {
        sub = (await dir.child(child.name, 0o700)).dir;
      } catch (err) {
        if (!(err instanceof NotADirectoryHere)) throw err;
        state.conflicts.push(`${childRel} (the image has a directory; the destination has something else)`);
        continue;
      }
      try {
        await writeChildren(source, child.abs, sub, childRel, state);
        await setHandleAttrs(sub.handle, st, state.opts, child.abs, dir.path(child.name));
      } finally {
        await sub.close();
      }
      continue;
    }
    await writeNonDir(child, st, dir, childRel, state);
  }
}

async function writeNonDir(
  child: SourceChild,
  st: BigIntStats,
  dir: DirHandle,
  rel: string,
  state: WriteState,
): Promise<void> {
  const { opts } = state;
  if (st.isSocket()) return; // never part of an image
  if ((st.isCharacterDevice() || st.isBlockDevice()) && !opts.keepOwners) return;
  const key = `${st.dev}:${st.ino}`;
  const first = st.nlink > 1n ? state.links.get(key) : undefined;
  const make = async (p: string): Promise<void> => {
    if (first !== undefined && (await linkTo(state.top, first, p))) return;
    if (st.isFile()) {
      await writeFile(child.abs, st, p, opts);
    } else if (st.isSymbolicLink()) {
      await symlink(readLinkWalked(child.abs, 'export symlink'), p);
      if (opts.keepOwners) copyOwner(child.abs, st, p, {});
      await lutimes(p, seconds(st.atimeNs), seconds(st.mtimeNs));
    } else {
      const kind = st.isFIFO() ? 'p' : st.isCharacterDevice() ? 'c' : 'b';
      const rdev = Number(st.rdev);
      // mknod -m sets the mode without following; lchown and lutimes do not follow either.
      await mknod(p, kind, devMajor(rdev), devMinor(rdev), Number(st.mode) & 0o7777);
      if (opts.keepOwners) copyOwner(child.abs, st, p, {});
      await lutimes(p, seconds(st.atimeNs), seconds(st.mtimeNs));
    }
  };
  const placed = await placeNew(dir, rel, make, state);
  if (placed && st.nlink > 1n && first === undefined) state.links.set(key, rel);
}

/**
 * Hard-links `p` to the first copy at `first` (a path below `top`), reached by descriptor.
 * False when that copy is no longer reachable as this run left it (then a fresh copy is
 * written instead: a hard link is an optimisation, a file is the content).
 */
async function linkTo(top: DirHandle, first: string, p: string): Promise<boolean> {
  const at = first.lastIndexOf('/');
  let parent: DirHandle;
  try {
    parent = at < 0 ? top : await top.descend(first.slice(0, at));
  } catch (err) {
    if (err instanceof NotADirectoryHere) return false;
    throw err;
  }
  try {
    await link(parent.path(first.slice(at + 1)), p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  } finally {
    if (parent !== top) await parent.close();
  }
}

/**
 * Makes the entry `rel` in `dir` with `make`: at its name if free, else under a fresh temp
 * name renamed over the existing non-directory. A directory in the way is a conflict.
 * False when nothing was placed.
 */
async function placeNew(
  dir: DirHandle,
  rel: string,
  make: (p: string) => Promise<void>,
  state: WriteState,
): Promise<boolean> {
  const name = rel.slice(rel.lastIndexOf('/') + 1);
  try {
    await make(dir.path(name));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const tmp = tempNameIn(dir.path(''));
  try {
    await make(tmp);
    await rename(tmp, dir.path(name));
    return true;
  } catch (err) {
    await unlink(tmp).catch(() => {});
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    state.conflicts.push(`${rel} (the image has a file; the destination has a directory)`);
    return false;
  }
}

/**
 * Copies a regular file: created exclusively, filled from the source opened as the walk saw
 * it (open-walked.ts: no-follow, inode checked), both reached through their descriptors
 * (copyFile on /proc/self/fd magic links copies in the kernel, reflink when it can, and
 * cannot be redirected by a rename), then owner, mode and times set by descriptor.
 */
async function writeFile(src: string, st: BigIntStats, p: string, opts: WriteHostTreeOptions): Promise<void> {
  const from = openWalkedSync(src, st, 'export file');
  try {
    const to = await createExclusive(p, 0o600);
    try {
      await copyFile(`/proc/self/fd/${from}`, `/proc/self/fd/${to.fd}`, constants.COPYFILE_FICLONE);
      await setHandleAttrs(to, st, opts, src, p);
    } finally {
      await to.close();
    }
  } finally {
    closeSync(from);
  }
}

/**
 * Owner, mode and times, set through the destination's descriptor; with keepXattrs also the
 * xattrs of `src` (a trusted store path) onto `dest` (the entry just made, reached through
 * its parent's descriptor). The xattr binding uses the l* calls, so neither end is followed.
 */
async function setHandleAttrs(
  fh: FileHandle,
  st: BigIntStats,
  opts: WriteHostTreeOptions,
  src: string,
  dest: string,
): Promise<void> {
  if (opts.keepOwners) copyOwner(src, st, dest, { fd: fh.fd });
  if (opts.keepXattrs) {
    for (const name of listXattrs(src)) {
      if (name === OPAQUE_XATTR || name === USER_OPAQUE_XATTR) continue;
      const value = getXattr(src, name);
      if (value !== null) setXattr(dest, name, value);
    }
  }
  // chown clears setuid/setgid, so the mode goes after it.
  await fh.chmod(Number(st.mode) & 0o7777);
  await fh.utimes(seconds(st.atimeNs), seconds(st.mtimeNs));
}

/** A nanosecond timestamp as the seconds utimes takes (microsecond precision survives). */
function seconds(ns: bigint): number {
  return Number(ns) / 1e9;
}

/** What the destination's filesystem refuses, as the error classes users see. */
function placeError(err: unknown, dest: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new NoSpaceError(`export to ${dest}: no space left on device`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENAMETOOLONG')
    return new InvalidInputError(`export to ${dest}: ${code}: ${(err as Error).message}`, { cause: err });
  return err;
}

/** Gives `p` the owner the source has as a layer records it (kept-owner.ts). */
function copyOwner(src: string, st: BigIntStats, p: string, how: { fd?: number }): void {
  const o = keptOwner(src, st);
  setOwnerSync(p, o.uid, o.gid, { symlink: st.isSymbolicLink(), fd: how.fd });
}
