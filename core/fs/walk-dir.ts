/**
 * walkDir: the one recursive walk of a host directory tree in strata (the context walk,
 * walk-tree.ts, walks a TreeSource instead). The diff writers, the RUN upper-dir cleaner, the
 * ADD merger and `strata du` all go through it, so the symlink rules live here once:
 *
 * - a directory is listed through a descriptor opened O_DIRECTORY|O_NOFOLLOW and checked
 *   (fstat) to be the very inode its lstat saw, never by reading a path a second time;
 * - each child is lstat'ed at most once, through that descriptor (`at` below:
 *   `/proc/<pid>/fd/<fd>/<name>`, the openat(2) Node lacks, see dir-handle.ts), and the walk
 *   enters a child only when that lstat says directory: a symlink is reported, never followed;
 * - so a directory swapped for a symlink after it was listed, or a parent swapped while its
 *   children are visited, changes nothing: names are looked up in the directory the walk holds.
 *
 * The visitor decides per child whether to enter it; directories are visited before their
 * children (`enter` with the listing, then each child, then `leave`). The descriptors of the
 * directories from the root down to the one being listed stay open: a tree 1,000 deep holds
 * 1,000 descriptors (Node raises the soft limit to the hard one at start).
 */
import {
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  type Stats,
} from 'node:fs';
import { InvalidInputError } from '../oci/errors.js';
import { openRegularSync, openWalkedSync } from './open-walked.js';

/** What a directory entry says the child is (d_type: the entry itself, never a link's target). */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket' | 'unknown';

/** One child of a directory the walk holds. */
export interface WalkVisit {
  /** Its name in its directory. */
  readonly name: string;
  /** Where it sorts among its siblings: `name`, unless `sortKey` gave another. */
  readonly key: string;
  /** Its directory's root-relative path (`''` for a child of the root). */
  readonly parent: string;
  /** Root-relative path, `/`-separated, no leading `/`. */
  readonly rel: string;
  /** What the listing said it is (no syscall). */
  readonly kind: EntryKind;
  /**
   * The path that names it inside the directory the walk holds open: valid during its visit
   * and, for a directory, until its `leave`. Every read, xattr call, unlink or rmdir of the
   * child goes through this path, so no symlink above it (swapped in meanwhile) is followed.
   * Its last component is looked up by name, like any path: open a file with openWalkedSync.
   */
  readonly at: string;
  /** `root/rel`, for messages (and for trees nothing else can write to). */
  readonly path: string;
  /** Its lstat (never followed), taken on first use: at most one per child. */
  readonly st: Stats;
  /**
   * Opens it for reading, no-follow, refusing anything but a regular file: the very inode
   * `st` describes when `st` was taken already, else the fstat of the open file becomes
   * `st` (one lookup instead of lstat plus open). The caller closes the fd.
   */
  openFile(what: string): number;
}

export interface WalkDirOptions {
  /**
   * Order of siblings: 'bytes' (default) sorts them by `key` in UTF-8 byte order (the order
   * layer tars and diffs are written in); 'listing' keeps the directory's own order.
   */
  order?: 'bytes' | 'listing';
  /**
   * Called once per child as its directory is listed: returns the key it sorts (and is
   * reported) under, or null to leave it out. `lstat` stats it then (for the rare kind whose
   * key depends on it: a whiteout device); the visit reuses that stat. `parent` is the
   * directory's root-relative path. Keys must be distinct.
   */
  sortKey?: (name: string, kind: EntryKind, lstat: () => Stats, parent: string) => string | null;
  /**
   * 'empty': a directory (the root too) that is gone when the walk opens it is walked as an
   * empty one (enter, then leave), for trees something else may be deleting from (sizes of
   * store dirs). A child gone before its lstat throws from `st` as usual (ENOENT), for the
   * visitor to catch. Default: a vanished directory is an error.
   */
  vanished?: 'error' | 'empty';
}

/** A step of the walk, for a driver: see walkDirSync. `descend` is what the visitor answers. */
export type WalkStep =
  | { type: 'enter'; dir: WalkVisit | undefined; rel: string; at: string; keys: readonly string[] }
  | { type: 'visit'; visit: WalkVisit }
  | { type: 'leave'; visit: WalkVisit };

export interface WalkDirVisitor {
  /** A directory's listing, before its children: the root (dir undefined), then each entered one. */
  enter?(rel: string, keys: readonly string[], dir: WalkVisit | undefined, at: string): void;
  /** Returns true to enter the child, which must then be a directory by its lstat. */
  visit(v: WalkVisit): boolean | undefined;
  /** After an entered directory's children. */
  leave?(v: WalkVisit): void;
}

/** walkDirSync with visitors that may return promises (each is awaited before the next step). */
export interface WalkDirAsyncVisitor {
  enter?(rel: string, keys: readonly string[], dir: WalkVisit | undefined, at: string): void | Promise<void>;
  visit(v: WalkVisit): boolean | undefined | Promise<boolean | undefined>;
  leave?(v: WalkVisit): void | Promise<void>;
}

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Walks everything below `root` (followed as given: it is the caller's own path). */
export function walkDirSync(root: string, visitor: WalkDirVisitor, opts: WalkDirOptions = {}): void {
  const steps = walkDirSteps(root, opts);
  try {
    let r = steps.next();
    while (!r.done) {
      const s = r.value;
      if (s.type === 'visit') r = steps.next(visitor.visit(s.visit) === true);
      else {
        if (s.type === 'enter') visitor.enter?.(s.rel, s.keys, s.dir, s.at);
        else visitor.leave?.(s.visit);
        r = steps.next();
      }
    }
  } finally {
    steps.return(undefined);
  }
}

/** walkDirSync for visitors that do asynchronous work. */
export async function walkDir(
  root: string,
  visitor: WalkDirAsyncVisitor,
  opts: WalkDirOptions = {},
): Promise<void> {
  const steps = walkDirSteps(root, opts);
  try {
    let r = steps.next();
    while (!r.done) {
      const s = r.value;
      if (s.type === 'visit') {
        const d = visitor.visit(s.visit);
        r = steps.next((d instanceof Promise ? await d : d) === true);
      } else {
        const done =
          s.type === 'enter' ? visitor.enter?.(s.rel, s.keys, s.dir, s.at) : visitor.leave?.(s.visit);
        if (done instanceof Promise) await done;
        r = steps.next();
      }
    }
  } finally {
    steps.return(undefined);
  }
}

/** A child that is not a plain regular file listed under its own name. */
interface Listed {
  name: string;
  kind: EntryKind;
  st?: Stats;
}

interface Frame {
  fd: number;
  /** `/proc/<pid>/fd/<fd>/` */
  at: string;
  /** Root-relative path of the directory, `''` for the root. */
  rel: string;
  keys: string[];
  others: Map<string, Listed> | undefined;
  next: number;
  /** The visit that entered it (undefined for the root). */
  dir: WalkVisit | undefined;
}

/**
 * The walk as a generator of steps, for a caller that is itself a generator (changes.ts).
 * Answer each 'visit' step with `next(true)` to enter that child; close with `return()`
 * (for...of does) so the descriptors are closed.
 */
export function* walkDirSteps(
  root: string,
  opts: WalkDirOptions = {},
): Generator<WalkStep, void, boolean | undefined> {
  const base = root.replace(/\/+$/, ''); // `/` becomes '', so paths read `/etc`, not `//etc`
  const stack: Frame[] = [];
  try {
    let rootFd: number;
    try {
      rootFd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch (err) {
      if (!(opts.vanished === 'empty' && isNotFound(err))) throw err;
      yield { type: 'enter', dir: undefined, rel: '', at: root, keys: [] };
      return;
    }
    stack.push(listFrame(rootFd, '', undefined, opts));
    const top = stack[0];
    yield { type: 'enter', dir: undefined, rel: '', at: top.at.slice(0, -1), keys: top.keys };
    while (stack.length > 0) {
      const f = stack[stack.length - 1];
      if (f.next >= f.keys.length) {
        stack.pop();
        closeSync(f.fd);
        if (f.dir !== undefined) yield { type: 'leave', visit: f.dir };
        continue;
      }
      const key = f.keys[f.next++];
      const o = f.others?.get(key);
      const v = new Visit(base, f, key, o);
      const enter = yield { type: 'visit', visit: v };
      if (enter !== true) continue;
      const st = v.st;
      if (!st.isDirectory()) throw new InvalidInputError(`walk ${v.path}: not a directory, not entered`);
      const fd = openDir(v, st, opts);
      if (fd === undefined) {
        yield { type: 'enter', dir: v, rel: v.rel, at: v.at, keys: [] };
        yield { type: 'leave', visit: v };
        continue;
      }
      stack.push(listFrame(fd, v.rel, v, opts));
      const nf = stack[stack.length - 1];
      yield { type: 'enter', dir: v, rel: v.rel, at: nf.at.slice(0, -1), keys: nf.keys };
    }
  } finally {
    for (const f of stack) closeSync(f.fd);
  }
}

class Visit implements WalkVisit {
  readonly name: string;
  readonly key: string;
  readonly parent: string;
  readonly kind: EntryKind;
  readonly #base: string;
  readonly #dirAt: string;
  #st: Stats | undefined;
  #at: string | undefined;
  #rel: string | undefined;

  constructor(base: string, f: Frame, key: string, o: Listed | undefined) {
    this.#base = base;
    this.#dirAt = f.at;
    this.parent = f.rel;
    this.key = key;
    this.name = o === undefined ? key : o.name;
    this.kind = o === undefined ? 'file' : o.kind;
    this.#st = o?.st;
  }

  get rel(): string {
    this.#rel ??= this.parent === '' ? this.name : `${this.parent}/${this.name}`;
    return this.#rel;
  }

  get at(): string {
    this.#at ??= this.#dirAt + this.name;
    return this.#at;
  }

  get path(): string {
    return `${this.#base}/${this.rel}`;
  }

  get st(): Stats {
    this.#st ??= lstatSync(this.at);
    return this.#st;
  }

  openFile(what: string): number {
    if (this.#st !== undefined) return openWalkedSync(this.at, this.#st, what, this.path);
    const { fd, st } = openRegularSync(this.at, what, this.path);
    this.#st = st;
    return fd;
  }
}

/** Opens the directory `v`, checked to be the inode `st` says; undefined when it vanished and that is allowed. */
function openDir(v: WalkVisit, st: Stats, opts: WalkDirOptions): number | undefined {
  let fd: number;
  try {
    fd = openSync(v.at, DIR_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && opts.vanished === 'empty') return undefined;
    if (code === 'ELOOP' || code === 'ENOTDIR') throw changed(v.path, 'it is no longer a directory');
    throw err;
  }
  try {
    const now = fstatSync(fd);
    if (now.ino !== st.ino || now.dev !== st.dev) throw changed(v.path, 'it was replaced');
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

function changed(p: string, how: string): InvalidInputError {
  return new InvalidInputError(`walk ${p}: changed while being walked (${how}); not entered`);
}

function kindOf(d: Dirent): EntryKind {
  if (d.isFile()) return 'file';
  if (d.isDirectory()) return 'dir';
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isCharacterDevice()) return 'char';
  if (d.isBlockDevice()) return 'block';
  if (d.isFIFO()) return 'fifo';
  if (d.isSocket()) return 'socket';
  return 'unknown';
}

/**
 * Lists the directory open as `fd`. A regular file listed under its own name is just that
 * name in `keys` (most of a big layer: no record per file); anything else keeps a Listed,
 * found again by its key.
 */
function listFrame(fd: number, rel: string, dir: WalkVisit | undefined, opts: WalkDirOptions): Frame {
  try {
    const at = `/proc/${process.pid}/fd/${fd}/`;
    const { keys, others } = listChildren(at, rel, opts);
    return { fd, at, rel, keys, others, next: 0, dir };
  } catch (err) {
    closeSync(fd); // not on the walk's stack yet
    throw err;
  }
}

function listChildren(
  at: string,
  rel: string,
  opts: WalkDirOptions,
): { keys: string[]; others: Map<string, Listed> | undefined } {
  const keys: string[] = [];
  let others: Map<string, Listed> | undefined;
  const hook = opts.sortKey;
  for (const d of readdirSync(at, { withFileTypes: true })) {
    const name = d.name;
    const kind = d.isFile() ? 'file' : kindOf(d);
    let st: Stats | undefined;
    let key = name;
    if (hook !== undefined) {
      const k = hook(
        name,
        kind,
        () => {
          st ??= lstatSync(at + name);
          return st;
        },
        rel,
      );
      if (k === null) continue;
      key = k;
    }
    keys.push(key);
    if (kind !== 'file' || key !== name || st !== undefined)
      (others ??= new Map()).set(key, { name, kind, st });
  }
  if (opts.order !== 'listing') sortBytes(keys);
  if (hook !== undefined) {
    // Names are distinct; keys a hook gave may not be (sorted, a repeat is adjacent).
    const sorted = opts.order === 'listing' ? sortBytes([...keys]) : keys;
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i] === sorted[i - 1])
        throw new InvalidInputError(`walk ${rel || '.'}: two entries sort as ${JSON.stringify(sorted[i])}`);
    }
  }
  return { keys, others };
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Sorts in UTF-8 byte order. The built-in sort (UTF-16 code units, no comparator call per
 * comparison) agrees with it unless a name holds a code unit from U+D800 up: one regex test
 * per directory, on all its names at once, decides.
 */
export function sortBytes(names: string[]): string[] {
  if (/[\ud800-\uffff]/.test(names.join(''))) names.sort(byteCompare);
  else names.sort();
  return names;
}
