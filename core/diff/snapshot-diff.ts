/**
 * snapshotDiff: the copy-and-compare fallback for where overlay cannot be mounted. Given the
 * merged tree before a step and the full tree after it, writes the step's change as a diff
 * dir in overlay form.
 */
import { chmodSync, linkSync, lutimesSync, mkdirSync, type Stats, symlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { keptOwner, type Owner, setOwnerSync } from '../fs/kept-owner.js';
import { LayerStack } from '../fs/layer-stack.js';
import { copyWalkedSync, readLinkWalked } from '../fs/open-walked.js';
import {
  CAPABILITY_XATTR,
  devMajor,
  devMinor,
  getXattr,
  mknod,
  setXattr,
  WhiteoutMaker,
} from '../fs/overlay-form.js';
import { type WalkVisit, walkDir } from '../fs/walk-dir.js';
import { lstatOrNull } from './confined-path.js';
import { sameEntry, sameMeta } from './entry-compare.js';

const IS_ROOT = process.getuid?.() === 0;

/**
 * Compares `lowerMerged` (before) with `after` and fills `out` (an existing empty dir):
 * added and changed entries are copied with their metadata (hardlinks within `after` stay
 * hardlinks), entries gone from `after` become whiteouts, a dir replacing a non-dir (or the
 * reverse) is written whole, and unchanged dirs appear only as parents of changes. Entries
 * are compared as in normalizeUpperDir (type, mode, owner, size, content, link target,
 * xattrs; not mtime). Sockets are skipped. Whiteouts and devices need root.
 */
export async function snapshotDiff(
  lowerMerged: string,
  after: string,
  out: string,
): Promise<{ changed: number }> {
  const s = new Snapshot(path.resolve(lowerMerged), path.resolve(after), path.resolve(out));
  try {
    await walkDir(s.after, {
      enter: (rel, keys) => s.enter(rel, keys),
      visit: (v) => s.visit(v),
      leave: () => s.leave(),
    });
    s.finishDirs();
    return { changed: s.changed };
  } finally {
    s.whiteouts.dispose();
  }
}

/** A directory of `after` being walked, and how its children are treated. */
interface AfterDir {
  rel: string;
  /** `compare`: it is a directory in the lower tree too; `copy`: it is new, copied whole. */
  mode: 'compare' | 'copy';
  /** Its visit (undefined for the root): metadata for the out dir, valid while walked. */
  visit: WalkVisit | undefined;
  /** Made in `out` already. */
  made: boolean;
}

/** An out dir made, with the metadata it gets once its children are written. */
interface MadeDir {
  rel: string;
  st: Stats;
  owner: Owner | undefined;
}

/**
 * The walk over `after` (the container's rootfs after the step: untrusted) goes through
 * core/fs's walker, so every read of it names an entry inside a directory held open by
 * descriptor (`v.at`) and files are copied from the inode the walk saw (copyWalkedSync).
 * The lower tree (strata's own merged copy made before the step) is read by path, and `out`
 * is a fresh directory only this walk writes to.
 */
class Snapshot {
  changed = 0;
  readonly whiteouts: WhiteoutMaker;
  readonly #made: MadeDir[] = [];
  readonly #links = new Map<string, string>();
  /** The directories from the root down to the one whose children are being visited. */
  readonly #dirs: AfterDir[] = [{ rel: '', mode: 'compare', visit: undefined, made: true }];
  readonly #lower: LayerStack;
  constructor(
    readonly lower: string,
    readonly after: string,
    readonly out: string,
  ) {
    this.whiteouts = new WhiteoutMaker(out);
    this.#lower = new LayerStack([lower]);
  }

  /** A directory's listing, before its children: names gone from the lower tree become whiteouts. */
  async enter(rel: string, keys: readonly string[]): Promise<void> {
    const top = this.#dirs.length - 1;
    if (this.#dirs[top].mode !== 'compare') return;
    const lowerDir = lstatOrNull(path.join(this.lower, rel));
    if (!lowerDir?.isDirectory()) return;
    const present = new Set(keys);
    for (const name of [...this.#lower.namesIn([0], rel)].sort()) {
      if (present.has(name)) continue;
      this.#ensureDir(top);
      await this.whiteouts.make(path.join(this.out, rel, name));
      this.changed++;
    }
  }

  async visit(v: WalkVisit): Promise<boolean> {
    const a = v.st;
    if (a.isSocket()) return false;
    const parent = this.#dirs.length - 1;
    if (this.#dirs[parent].mode === 'copy') {
      if (!a.isDirectory()) {
        await this.#copy(v, a);
        return false;
      }
      this.#dirs.push({ rel: v.rel, mode: 'copy', visit: v, made: false });
      this.#ensureDir(parent + 1);
      return true;
    }
    const lowerPath = path.join(this.lower, v.rel);
    const l = lstatOrNull(lowerPath);
    if (a.isDirectory()) {
      const same = l?.isDirectory() === true;
      this.#dirs.push({ rel: v.rel, mode: same ? 'compare' : 'copy', visit: v, made: false });
      if (!same) {
        this.#ensureDir(parent + 1);
        this.changed++;
      } else if (!sameMeta(v.at, a, lowerPath, l)) this.#ensureDir(parent + 1);
      return true;
    }
    if (l !== null && !l.isDirectory() && sameEntry(v.at, a, lowerPath, l)) return false;
    this.#ensureDir(parent);
    await this.#copy(v, a);
    this.changed++;
    return false;
  }

  leave(): void {
    this.#dirs.pop();
  }

  /** Makes the out dir of #dirs[i] and its missing parents; their metadata is set by finishDirs. */
  #ensureDir(i: number): void {
    const d = this.#dirs[i];
    if (d.made) return;
    this.#ensureDir(i - 1);
    mkdirSync(path.join(this.out, d.rel));
    d.made = true;
    const v = d.visit as WalkVisit; // only the root has none, and it is made
    this.#made.push({ rel: d.rel, st: v.st, owner: IS_ROOT ? keptOwner(v.at, v.st) : undefined });
  }

  async #copy(v: WalkVisit, st: Stats): Promise<void> {
    const src = v.at;
    const dst = path.join(this.out, v.rel);
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = this.#links.get(key);
      if (first !== undefined) return linkSync(first, dst);
      this.#links.set(key, dst);
    }
    if (st.isSymbolicLink()) {
      symlinkSync(readLinkWalked(src, 'snapshot diff', v.path), dst);
      if (IS_ROOT) copyOwner(src, st, dst, true);
      return lutimesSync(dst, st.atime, st.mtime);
    }
    if (st.isFile()) copyWalkedSync(src, st, dst, 'snapshot diff', v.path);
    else if (st.isFIFO()) await mknod(dst, 'p');
    else await mknod(dst, st.isCharacterDevice() ? 'c' : 'b', devMajor(st.rdev), devMinor(st.rdev));
    if (IS_ROOT) copyOwner(src, st, dst, false);
    chmodSync(dst, st.mode & 0o7777);
    const cap = st.isFile() ? getXattr(src, CAPABILITY_XATTR) : null;
    if (cap !== null) setXattr(dst, CAPABILITY_XATTR, cap);
    utimesSync(dst, st.atime, st.mtime);
  }

  /** Dir metadata last, so copying children does not move their mtimes. */
  finishDirs(): void {
    for (const { rel, st, owner } of this.#made.reverse()) {
      const dst = path.join(this.out, rel);
      if (owner !== undefined) setOwnerSync(dst, owner.uid, owner.gid, { symlink: false });
      chmodSync(dst, st.mode & 0o7777);
      utimesSync(dst, st.atime, st.mtime);
    }
  }
}

/** Gives `dst` the owner `src` has as a layer records it (kept-owner xattr included). */
function copyOwner(src: string, st: Stats, dst: string, symlink: boolean): void {
  const o = keptOwner(src, st);
  setOwnerSync(dst, o.uid, o.gid, { symlink });
}
