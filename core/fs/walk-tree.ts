/**
 * The subtree walk behind every directory source. Listing and stat are separate so an
 * ignored name is decided from the directory listing alone: an excluded file is never
 * stat'ed and an excluded directory that no exception reaches into is never opened.
 */
import type { FileEntry } from './file-entry.js';

export interface ListedChild {
  name: string;
  /** Host path of the child (the context file, or the layer that provides it). */
  abs: string;
  isDir: boolean;
}

/**
 * Where the walk reads from: the build context, or a merged stack of layers. Either method
 * may answer synchronously; the context view does, because on Linux a page-cached lstat is
 * cheaper than a trip through the libuv pool (100,000 lstats: 0.8 s sync, 1.9 s async with
 * 64 in flight, 5.3 s all at once, on a 2-core machine).
 */
export interface TreeSource {
  /** The children of a directory, any order, whiteouts already removed. */
  list(dir: FileEntry): ListedChild[] | Promise<ListedChild[]>;
  /** lstat one child into an entry with `rel` set. */
  stat(rel: string, abs: string): FileEntry | Promise<FileEntry>;
}

/**
 * What to do with a path (relative to the match root): `keep` it, `skip` it (and for a
 * directory, everything below), or `enter` a directory that is itself excluded because an
 * exception pattern may re-include something below it.
 */
export type WalkDecision = 'keep' | 'skip' | 'enter';
export type WalkFilter = (rel: string, isDir: boolean) => WalkDecision;

/** Filesystem calls between two yields to the event loop (keeps progress output alive). */
const YIELD_EVERY = 2048;

/**
 * Walks everything below `root` (a directory entry with rel `''`) and returns the root
 * followed by its subtree sorted by rel, which puts every parent before its children.
 * Symlinks are entries, never followed. Excluded names are dropped from the listing before
 * any stat, and a skippable excluded directory is never opened.
 */
export async function walkTree(
  root: FileEntry,
  source: TreeSource,
  filter?: WalkFilter,
): Promise<FileEntry[]> {
  const out: FileEntry[] = [root];
  const stack: FileEntry[] = [root];
  let ops = 0;
  while (stack.length > 0) {
    const dir = stack.pop() as FileEntry;
    const children = await source.list(dir);
    for (const child of children) {
      // join: a flat string; a template would keep a cons-string tree per entry alive.
      const rel = dir.rel === '' ? child.name : [dir.rel, child.name].join('/');
      const decision = filter ? filter(rel, child.isDir) : 'keep';
      if (decision === 'skip') continue;
      const entry = await source.stat(rel, child.abs);
      if (decision === 'enter') {
        if (entry.type !== 'dir') continue;
        entry.implied = true;
      }
      out.push(entry);
      if (entry.type === 'dir') stack.push(entry);
      if (++ops % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    }
  }
  out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return out;
}
