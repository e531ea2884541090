/**
 * The shape every COPY/ADD source is reduced to, whether it comes from the build context
 * or from a stack of layer diff dirs: a list of matches, each a root entry and its subtree.
 * Checksums (source-set.ts) and the copier (core/copy) only ever see these records.
 */
import { type BigIntStats, lstatSync, type Stats } from 'node:fs';

export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'char' | 'block' | 'socket';

export interface FileEntry {
  /** Path below the match root, `/`-separated; `''` is the match root itself. */
  rel: string;
  /** Host path holding this entry's bytes (the context file or the layer that wins). */
  abs: string;
  type: EntryType;
  /** Permission bits plus setuid/setgid/sticky (`mode & 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** Byte size for regular files; 0 for everything else (as a tar header has it). */
  size: number;
  /** Modification time in seconds since the epoch, fractional (what lutimes takes). */
  mtime: number;
  /**
   * `ino:mtime:ctime` as lstat gave them (nanoseconds from bigint stats, milliseconds from
   * number stats): the stat cache's validity key, kept as one string rather than five
   * BigInts per entry (100,000 entries held ~11 MB of BigInts).
   */
  statKey: string;
  /** dev_t of a char or block device; absent for everything else. */
  rdev?: bigint;
  /** Symlink target, verbatim. */
  linkTarget?: string;
  /**
   * A directory that .dockerignore or --exclude excluded but that was entered because an
   * exception (`!pattern`) re-includes something below it. It is recreated with defaults
   * (0755, root) and its own metadata is not part of the checksum.
   */
  implied?: boolean;
  /**
   * The entry's own checksum (header fields and content), set once its SourceSet has been
   * checksummed. The copier uses it to recognise a file already in an earlier layer.
   */
  digest?: string;
  /**
   * Short hashes of the content and kept xattrs (`content16.xattrs16`, see content-hasher.ts),
   * set with `digest` when known: what lets a miss say "content" or "xattrs" changed.
   */
  fingerprint?: string;
}

/** One path a source pattern selected. */
export interface SourceMatch {
  /** The matched path as named (before following a final symlink), relative to the source root. */
  path: string;
  /** The name a wildcard match is known by below the pattern's fixed prefix (hashed with it). */
  name: string;
  /** With --parents: where the match lands below the destination (after any `/./` pivot). */
  parentsPath?: string;
  /** entries[0] is the match root (rel `''`); the rest is its subtree, parents first. */
  entries: FileEntry[];
}

/** One source argument of COPY/ADD and what it selected. */
export interface ResolvedSource {
  pattern: string;
  wildcard: boolean;
  matches: SourceMatch[];
}

const S_IFMT = 0o170000;

export function entryTypeOf(st: Stats | BigIntStats): EntryType {
  switch (Number(st.mode) & S_IFMT) {
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o010000:
      return 'fifo';
    case 0o020000:
      return 'char';
    case 0o060000:
      return 'block';
    case 0o140000:
      return 'socket';
    default:
      return 'file';
  }
}

/**
 * lstat for a walk that keys the stat cache: number stats, not bigint (a bigint lstat makes
 * fourteen BigInts and four Dates a call; a walk of 100,000 files took ~13% longer for
 * them). mtime and ctime are then millisecond doubles, exact to a quarter of a microsecond
 * (Linux takes file times from a clock that ticks far coarser, but for the rare fine-grained
 * ctime), and the inode exact: one past 2^53, which a double would round (overlayfs with
 * xino) and the no-follow open (open-walked.ts) would take for a replaced file, is stat'ed
 * again as bigint.
 */
export function lstatForKey(abs: string): Stats | BigIntStats {
  const st = lstatSync(abs);
  return st.ino > Number.MAX_SAFE_INTEGER ? lstatSync(abs, { bigint: true }) : st;
}

/**
 * Builds an entry from an lstat result. `owner` overrides uid/gid: build-context files are
 * recorded as 0:0 because that is how BuildKit receives them (ownership of the client's
 * files is never part of the image or the checksum).
 *
 * Bigint stats give nanosecond keys (layer stacks); number stats millisecond-double keys (the
 * build context: context-view.ts says why), which never collide with nanosecond ones (a row
 * keyed the other way simply misses).
 */
export function entryFromStat(
  rel: string,
  abs: string,
  st: Stats | BigIntStats,
  owner?: { uid: number; gid: number },
  linkTarget?: string,
): FileEntry {
  const type = entryTypeOf(st);
  const big = typeof st.mode === 'bigint';
  const b = st as BigIntStats;
  const n = st as Stats;
  return {
    rel,
    abs,
    type,
    mode: Number(st.mode) & 0o7777,
    uid: owner ? owner.uid : Number(st.uid),
    gid: owner ? owner.gid : Number(st.gid),
    size: type === 'file' ? Number(st.size) : 0,
    mtime: big ? Number(b.mtimeNs) / 1e9 : n.mtimeMs / 1000,
    // join, not a template: it yields one flat string rather than a tree of cons strings.
    statKey: big ? [b.ino, b.mtimeNs, b.ctimeNs].join(':') : [n.ino, n.mtimeMs, n.ctimeMs].join(':'),
    rdev: type === 'char' || type === 'block' ? BigInt(st.rdev) : undefined,
    linkTarget,
    // Declared now, set later: V8 then keeps every field in the object itself instead of
    // growing a separate property array per entry when they are added (100,000 entries: 4 MB).
    implied: undefined,
    digest: undefined,
    fingerprint: undefined,
  };
}
