/**
 * writeLayerTar: a diff dir in overlay form -> one deterministic layer tar, hashed as it is
 * written (the diffID).
 */
import { closeSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { keptOwner } from '../fs/kept-owner.js';
import { readLinkWalked } from '../fs/open-walked.js';
import {
  CAPABILITY_XATTR,
  devMajor,
  devMinor,
  getXattr,
  isOpaqueDir,
  isWhiteout,
  OPAQUE_MARKER,
  reservedName,
  WHITEOUT_PREFIX,
} from '../fs/overlay-form.js';
import { type WalkVisit, walkDir } from '../fs/walk-dir.js';
import type { Digest } from '../oci/digest.js';
import { InternalError } from '../oci/errors.js';
import { COLLECT_EVERY, collectIfLarge } from '../progress/heap.js';
import type { EarlierTar } from './earlier-tar.js';
import { HashingSink } from './hashing-sink.js';
import { pushFileBytes } from './push-file-bytes.js';
import type { SameFiles } from './same-files.js';
import { type EntryType, encodeHeader, padding, type TarHeader } from './tar-header.js';

export interface WriteLayerTarOptions {
  /** Entries with a later mtime get this one (seconds since the epoch). */
  sourceDateEpoch?: number;
  /**
   * An earlier tar to copy unchanged entries from. `files` (made by sameFiles) names regular
   * files under `root` that are hard links to the very inodes `tar` was written from, so
   * their header and data bytes there are exactly what this walk would write: those are
   * copied without a stat or a read. Anything else is written as usual. The caller closes
   * `tar`; EarlierTarUnusable from it means "start over without it".
   */
  earlier?: { tar: EarlierTar; files: SameFiles };
  /**
   * `out` hashes what it is given (a blob ingest): the diffID is its digest, and the bytes
   * are not hashed a second time here (a 46 MB layer tar: ~35 ms). Such an output is also
   * done with a chunk's bytes when its write callback fires, so the writer's buffers are
   * reused (HashingSink `reuse`).
   */
  hashedBy?: { digest(): Promise<{ digest: Digest; size: number }> };
}

export interface LayerTarResult {
  /** sha256 of the tar bytes. */
  diffId: Digest;
  /** Bytes in the tar. */
  size: number;
  /** Tar entries written (whiteouts and opaque markers count; PAX headers do not). */
  entries: number;
}

const ZERO_BLOCKS = Buffer.alloc(1024);

/**
 * Walks `root` (a diff dir in overlay form) and writes a deterministic tar to `out`.
 *
 * - Order: a pre-order walk with each directory's entries sorted bytewise by the name they
 *   get in the tar, so parents precede children and the order is a total, machine-independent
 *   one. The root dir itself is not an entry. An opaque dir's `.wh..wh..opq` follows it
 *   directly; a whiteout device `x` becomes an empty file `.wh.x`.
 * - Headers: numeric uid/gid, no uname/gname, mtime in whole seconds clamped to
 *   `sourceDateEpoch`, no atime/ctime; PAX only where ustar cannot say it. Whiteouts and
 *   opaque markers get mode 0, uid/gid 0, mtime 0.
 * - Hardlinks: non-directories sharing dev+ino are written once; later paths become link
 *   entries to the first path written. Sockets are skipped.
 * - xattrs: only `security.capability`, read only from files with an execute bit (a
 *   capability on a file nobody can exec has no effect, and this keeps the walk at one
 *   syscall per file). Overlay xattrs never go in.
 * - Memory: file contents are streamed; `out` sees backpressure honoured.
 *
 * `out` is ended on success; on failure it is left as is (the caller destroys it).
 * With `out === null` the tar is only hashed. Throws InvalidInputError if a file changes
 * size while being read (the diff dir must not change during the call).
 */
export async function writeLayerTar(
  root: string,
  out: Writable | null,
  opts: WriteLayerTarOptions = {},
): Promise<LayerTarResult> {
  const hashedBy = out === null ? undefined : opts.hashedBy;
  const w = new LayerWalker(out, opts.sourceDateEpoch, opts.earlier, hashedBy !== undefined);
  try {
    if (isOpaqueDir(root)) await w.marker(OPAQUE_MARKER);
    await w.walk(path.resolve(root));
    await opts.earlier?.tar.flush(w.sink);
    await w.sink.push(ZERO_BLOCKS);
    const { digest, size } = await w.sink.finish();
    if (digest !== undefined) return { diffId: digest, size, entries: w.entries };
    const theirs = await (hashedBy as NonNullable<typeof hashedBy>).digest();
    if (theirs.size !== size)
      throw new InternalError(`write layer tar: wrote ${size} bytes, the output hashed ${theirs.size}`);
    return { diffId: theirs.digest, size, entries: w.entries };
  } finally {
    w.sink.release();
  }
}

/**
 * A header with no size, device numbers or xattrs (the caller sets any it needs), made as one
 * literal of one shape. Not `{ ...base, type }`: a spread followed by more properties cost
 * ~1 KB of allocation per entry, a third of it kept past young collections, so a
 * 100,000-file layer piled ~40 MB of dead headers into the old generation while it was written.
 */
function header(
  name: string,
  type: EntryType,
  mode: number,
  uid: number,
  gid: number,
  mtime: number,
  linkname?: string,
): TarHeader {
  return {
    name,
    type,
    mode,
    uid,
    gid,
    size: 0,
    mtime,
    linkname,
    devmajor: undefined,
    devminor: undefined,
    xattrs: undefined,
  };
}

class LayerWalker {
  readonly sink: HashingSink;
  entries = 0;
  #visited = 0;
  readonly #epoch: number | undefined;
  /**
   * First tar name of each multiply-linked inode, by dev then ino. Numeric keys rather than
   * `dev:ino` strings: a COPY rebuilt by linking unchanged files from its previous layer
   * has every file at nlink 2, so this holds one row per file (100,000 in the bench).
   */
  readonly #links = new Map<number, Map<number, string>>();

  readonly #earlier: WriteLayerTarOptions['earlier'];
  /** The earlier tar's same files in the directory `#sameDir` (a tar name). */
  #sameDir: string | undefined;
  #same: ReadonlySet<string> | undefined;

  constructor(
    out: Writable | null,
    epoch: number | undefined,
    earlier: WriteLayerTarOptions['earlier'],
    ingest: boolean,
  ) {
    this.sink = new HashingSink(out, { hash: !ingest, reuse: ingest });
    this.#epoch = epoch;
    this.#earlier = earlier;
  }

  #mtime(st: Stats): number {
    const t = Math.floor(st.mtimeMs / 1000);
    return this.#epoch !== undefined && t > this.#epoch ? this.#epoch : t;
  }

  async #header(h: TarHeader): Promise<void> {
    this.entries++;
    await this.sink.push(encodeHeader(h));
  }

  /** An empty regular entry: whiteouts and opaque markers. */
  async marker(name: string): Promise<void> {
    await this.#header(header(name, 'file', 0, 0, 0, 0));
  }

  /**
   * Walks `root` through core/fs's walker, in tar-name order. Children are stat'ed one by one
   * as written, not up front: holding a Stats per child of a big directory until its turn
   * kept them past the young generation, and 100,000 promoted Stats grew RSS by ~80 MB. Only
   * a char device (a possible whiteout, which sorts under another name) is stat'ed as its
   * directory is listed, and a file copied from the earlier tar is never stat'ed at all.
   */
  async walk(root: string): Promise<void> {
    await walkDir(
      root,
      { visit: (v) => this.#visit(v) },
      {
        sortKey: (name, kind, lstat, parent) => {
          if (kind === 'socket') return null; // sockets cannot live in a layer
          const whiteout = kind === 'char' && isWhiteout(lstat());
          // A file named .wh.* would read back as a deletion: refuse it (core/fs/overlay-form.ts).
          if (!whiteout && name.startsWith(WHITEOUT_PREFIX))
            throw reservedName('write layer', parent === '' ? name : `${parent}/${name}`);
          return whiteout ? WHITEOUT_PREFIX + name : name;
        },
      },
    );
  }

  /** Writes one child; true to go on with its children (a directory). */
  async #visit(v: WalkVisit): Promise<boolean> {
    // A big layer's per-entry garbage outlives young collections (the entries are written
    // through promises) and piles up in the old generation: at 100,000 files the heap grew
    // from ~45 MB live to ~108 MB before V8 collected it, the peak of a cold COPY.
    if (++this.#visited % COLLECT_EVERY === 0) await collectIfLarge();
    const tarName = v.parent === '' ? v.key : `${v.parent}/${v.key}`;
    const earlier = this.#earlier;
    if (earlier !== undefined && v.parent !== this.#sameDir) {
      // Once per directory (its children come in a row, between subtrees): SameFiles is
      // keyed by the tar name of the directory with a trailing `/`.
      this.#sameDir = v.parent;
      this.#same = earlier.files.get(v.parent === '' ? '' : `${v.parent}/`);
    }
    if (earlier !== undefined && v.kind === 'file' && this.#same?.has(v.name)) {
      const copied = earlier.tar.copy(tarName, this.sink);
      // Awaited only when it is a promise: most copies finish synchronously.
      if (typeof copied === 'boolean' ? copied : await copied) {
        this.entries++;
        return false;
      }
    }
    if (earlier) await earlier.tar.flush(this.sink); // copied bytes go before this entry
    // A regular file by its listing is opened first (no-follow, through the directory the
    // walk holds) and its stat taken from the descriptor: one lookup, and the bytes read are
    // those of the inode the header describes. A file swapped for a symlink meanwhile (a RUN
    // writing a cache mount being exported) is refused, never followed.
    if (v.kind === 'file') {
      await this.#file(v, tarName, v.openFile('write layer tar'));
      return false;
    }
    const st = v.st;
    // Changed type since the listing: the diff dir must not change during the call.
    if (st.isSocket()) return false;
    if (st.isFile()) {
      // Listed without a type (some filesystems): checked against the lstat on open.
      await this.#file(v, tarName, v.openFile('write layer tar'));
      return false;
    }
    return this.#other(v, tarName, st);
  }

  /** The header of `st` as a `type` entry named `tarName` (see header()). */
  #head(p: string, tarName: string, st: Stats, type: EntryType, linkname?: string): TarHeader {
    const owner = keptOwner(p, st);
    return header(tarName, type, st.mode & 0o7777, owner.uid, owner.gid, this.#mtime(st), linkname);
  }

  /** The tar name of an earlier path of `st`'s inode; else undefined, and `tarName` becomes it. */
  #firstLink(st: Stats, tarName: string): string | undefined {
    let byIno = this.#links.get(st.dev);
    if (!byIno) this.#links.set(st.dev, (byIno = new Map()));
    const first = byIno.get(st.ino);
    if (first === undefined) byIno.set(st.ino, tarName);
    return first;
  }

  /** Anything but a regular file; true for a directory, whose children come next. */
  async #other(v: WalkVisit, tarName: string, st: Stats): Promise<boolean> {
    if (isWhiteout(st)) {
      await this.marker(tarName);
      return false;
    }
    const p = v.at;
    if (st.isDirectory()) {
      await this.#header(this.#head(p, tarName, st, 'dir'));
      if (isOpaqueDir(p)) await this.marker(`${tarName}/${OPAQUE_MARKER}`);
      return true;
    }
    const first = st.nlink > 1 ? this.#firstLink(st, tarName) : undefined;
    if (first !== undefined) await this.#header(this.#head(p, tarName, st, 'link', first));
    else if (st.isSymbolicLink()) {
      const linkname = readLinkWalked(p, 'write layer tar', v.path);
      await this.#header(this.#head(p, tarName, st, 'symlink', linkname));
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const h = this.#head(p, tarName, st, st.isCharacterDevice() ? 'char' : 'block');
      h.devmajor = devMajor(st.rdev);
      h.devminor = devMinor(st.rdev);
      await this.#header(h);
    } else if (st.isFIFO()) await this.#header(this.#head(p, tarName, st, 'fifo'));
    return false;
  }

  /**
   * A regular file's header and bytes, read from `fd` (open on the inode `v.st` describes);
   * closes `fd`, also on failure.
   */
  async #file(v: WalkVisit, tarName: string, fd: number): Promise<void> {
    let handed = false;
    try {
      const st = v.st;
      const p = v.at;
      const first = st.nlink > 1 ? this.#firstLink(st, tarName) : undefined;
      if (first !== undefined) return await this.#header(this.#head(p, tarName, st, 'link', first));
      const h = this.#head(p, tarName, st, 'file');
      h.size = st.size;
      if (st.mode & 0o111) {
        const cap = getXattr(p, CAPABILITY_XATTR);
        if (cap !== null) h.xattrs = new Map([[CAPABILITY_XATTR, cap]]);
      }
      await this.#header(h);
      handed = true; // pushFileBytes closes it
      await pushFileBytes(this.sink, fd, v.path, st.size);
      const pad = padding(st.size);
      if (pad > 0) await this.sink.push(ZERO_BLOCKS.subarray(0, pad));
    } finally {
      if (!handed) closeSync(fd);
    }
  }
}
