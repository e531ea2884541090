/**
 * snapshotDiff: the copy-and-compare fallback for where overlay cannot be mounted. Given the
 * merged tree before a step and the full tree after it, writes the step's change as a diff
 * dir in overlay form.
 */
import {
  chmodSync,
  copyFileSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  type Stats,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import path from 'node:path';
import { keptOwner, setOwnerSync } from '../fs/kept-owner.js';
import {
  CAPABILITY_XATTR,
  devMajor,
  devMinor,
  getXattr,
  mknod,
  setXattr,
  WhiteoutMaker,
} from '../fs/overlay-form.js';
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
    await s.visit('');
    s.finishDirs();
    return { changed: s.changed };
  } finally {
    s.whiteouts.dispose();
  }
}

class Snapshot {
  changed = 0;
  readonly whiteouts: WhiteoutMaker;
  readonly #made: string[] = [];
  readonly #links = new Map<string, string>();
  constructor(
    readonly lower: string,
    readonly after: string,
    readonly out: string,
  ) {
    this.whiteouts = new WhiteoutMaker(out);
  }

  async visit(rel: string): Promise<void> {
    const afterNames = readdirSync(path.join(this.after, rel));
    const lowerDir = lstatOrNull(path.join(this.lower, rel));
    const lowerNames = lowerDir?.isDirectory() ? readdirSync(path.join(this.lower, rel)) : [];
    const present = new Set(afterNames);
    for (const name of lowerNames.sort()) {
      if (present.has(name)) continue;
      this.#ensureDir(rel);
      await this.whiteouts.make(path.join(this.out, rel, name));
      this.changed++;
    }
    for (const name of afterNames.sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const a = lstatSync(path.join(this.after, r));
      if (a.isSocket()) continue;
      const l = lstatOrNull(path.join(this.lower, r));
      if (a.isDirectory()) {
        if (l?.isDirectory()) {
          if (!sameMeta(path.join(this.after, r), a, path.join(this.lower, r), l)) this.#ensureDir(r);
          await this.visit(r);
        } else {
          this.#ensureDir(r);
          this.changed++;
          await this.#copyTree(r);
        }
        continue;
      }
      if (
        l !== null &&
        !l.isDirectory() &&
        sameEntry(path.join(this.after, r), a, path.join(this.lower, r), l)
      )
        continue;
      this.#ensureDir(rel);
      await this.#copy(r, a);
      this.changed++;
    }
  }

  /** Makes out/rel and its missing parents, each with the metadata it has in `after`. */
  #ensureDir(rel: string): void {
    if (rel === '' || lstatOrNull(path.join(this.out, rel)) !== null) return;
    this.#ensureDir(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));
    const dst = path.join(this.out, rel);
    mkdirSync(dst);
    this.#made.push(rel);
  }

  async #copyTree(rel: string): Promise<void> {
    for (const name of readdirSync(path.join(this.after, rel)).sort()) {
      const r = `${rel}/${name}`;
      const a = lstatSync(path.join(this.after, r));
      if (a.isSocket()) continue;
      if (a.isDirectory()) {
        this.#ensureDir(r);
        await this.#copyTree(r);
      } else await this.#copy(r, a);
    }
  }

  async #copy(rel: string, st: Stats): Promise<void> {
    const src = path.join(this.after, rel);
    const dst = path.join(this.out, rel);
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = this.#links.get(key);
      if (first !== undefined) return linkSync(first, dst);
      this.#links.set(key, dst);
    }
    if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(src), dst);
      if (IS_ROOT) copyOwner(src, st, dst, true);
      return lutimesSync(dst, st.atime, st.mtime);
    }
    if (st.isFile()) copyFileSync(src, dst);
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
    for (const rel of this.#made.reverse()) {
      const src = path.join(this.after, rel);
      const st = lstatSync(src);
      const dst = path.join(this.out, rel);
      if (IS_ROOT) copyOwner(src, st, dst, false);
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
