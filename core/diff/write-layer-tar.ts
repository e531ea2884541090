/**
 * writeLayerTar: a diff dir in overlay form -> one deterministic layer tar, hashed as it is
 * written (the diffID).
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { keptOwner } from '../fs/kept-owner.js';
import { openWalkedSync, readLinkWalked } from '../fs/open-walked.js';
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
import type { Digest } from '../oci/digest.js';
import { InternalError } from '../oci/errors.js';
import type { EarlierTar } from './earlier-tar.js';
import { HashingSink } from './hashing-sink.js';
import { pushFileBytes } from './push-file-bytes.js';
import type { SameFiles } from './same-files.js';
import { encodeHeader, padding, type TarHeader } from './tar-header.js';

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
   * are not hashed a second time here (a 46 MB layer tar: ~35 ms).
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
  const w = new LayerWalker(out, opts.sourceDateEpoch, opts.earlier, hashedBy === undefined);
  try {
    if (isOpaqueDir(root)) await w.marker(OPAQUE_MARKER);
    await w.walk(path.resolve(root), '');
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

/** A child that is not a regular file by its directory entry. */
interface Child {
  name: string;
  tarName: string;
  /** Only for char devices, whose stat decides whether they are whiteouts. */
  st?: Stats;
}

function byteCompare(a: string, b: string): number {
  // UTF-16 order equals UTF-8 byte order except around surrogates; go to bytes only then.
  if (/[\ud800-\uffff]/.test(a) || /[\ud800-\uffff]/.test(b))
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

class LayerWalker {
  readonly sink: HashingSink;
  entries = 0;
  readonly #epoch: number | undefined;
  /**
   * First tar name of each multiply-linked inode, by dev then ino. Numeric keys rather than
   * `dev:ino` strings: a COPY rebuilt by linking unchanged files from its previous layer
   * has every file at nlink 2, so this holds one row per file (100,000 in the bench).
   */
  readonly #links = new Map<number, Map<number, string>>();

  readonly #earlier: WriteLayerTarOptions['earlier'];

  constructor(
    out: Writable | null,
    epoch: number | undefined,
    earlier: WriteLayerTarOptions['earlier'],
    hash: boolean,
  ) {
    this.sink = new HashingSink(out, { hash });
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
    await this.#header({ name, type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
  }

  async walk(abs: string, rel: string): Promise<void> {
    // Sorted from the listing alone and stat'ed one by one as written: holding a Stats per
    // child of a big directory until its turn kept them past the young generation, and
    // 100,000 promoted Stats grew RSS by ~80 MB. Only a char device (a possible whiteout,
    // which sorts under another name) is stat'ed up front.
    // A regular file is just its name in this directory as the tar spells it (a whiteout `x`
    // as `.wh.x`), sorted by the built-in sort (no comparator call per comparison, no record
    // per file: most of a big layer); the names share the prefix `rel`, so they sort as the
    // tar names do. Anything else keeps a Child, found again by that name.
    const names: string[] = [];
    let others: Map<string, Child> | undefined;
    const dir = abs.endsWith('/') ? abs : `${abs}/`;
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      if (d.isSocket()) continue; // sockets cannot live in a layer
      const st = d.isCharacterDevice() ? lstatSync(dir + d.name) : undefined;
      const whiteout = st !== undefined && isWhiteout(st);
      // A file named .wh.* would read back as a deletion: refuse it (core/fs/overlay-form.ts).
      if (!whiteout && d.name.startsWith(WHITEOUT_PREFIX)) throw reservedName('write layer', rel + d.name);
      const name = whiteout ? WHITEOUT_PREFIX + d.name : d.name;
      names.push(name);
      if (!d.isFile()) (others ??= new Map()).set(name, { name: d.name, tarName: rel + name, st });
    }
    // The default sort orders by UTF-16 code units, which is byte order unless a name holds
    // a code unit from U+D800 up (one regex test per directory, on all its names at once).
    if (/[\ud800-\uffff]/.test(names.join(''))) names.sort(byteCompare);
    else names.sort();
    const earlier = this.#earlier;
    const same = earlier?.files.get(rel);
    for (const name of names) {
      const c = others?.get(name);
      const tarName = c === undefined ? rel + name : c.tarName;
      if (c === undefined && earlier !== undefined && same?.has(name)) {
        const copied = earlier.tar.copy(tarName, this.sink);
        // Awaited only when it is a promise: most copies finish synchronously.
        if (typeof copied === 'boolean' ? copied : await copied) {
          this.entries++;
          continue;
        }
      }
      if (earlier) await earlier.tar.flush(this.sink); // copied bytes go before this entry
      const p = dir + (c === undefined ? name : c.name);
      const st = c?.st ?? lstatSync(p);
      // Changed type since the listing: the diff dir must not change during the call.
      if (st.isSocket()) continue;
      await this.#entry(p, tarName, st);
    }
  }

  async #entry(p: string, tarName: string, st: Stats): Promise<void> {
    if (isWhiteout(st)) return this.marker(tarName);
    const owner = keptOwner(p, st);
    const base = {
      name: tarName,
      mode: st.mode & 0o7777,
      uid: owner.uid,
      gid: owner.gid,
      size: 0,
      mtime: this.#mtime(st),
    };
    if (st.isDirectory()) {
      await this.#header({ ...base, type: 'dir' });
      if (isOpaqueDir(p)) await this.marker(`${tarName}/${OPAQUE_MARKER}`);
      return this.walk(p, `${tarName}/`);
    }
    if (st.nlink > 1) {
      let byIno = this.#links.get(st.dev);
      if (!byIno) this.#links.set(st.dev, (byIno = new Map()));
      const first = byIno.get(st.ino);
      if (first !== undefined) return this.#header({ ...base, type: 'link', linkname: first });
      byIno.set(st.ino, tarName);
    }
    if (st.isSymbolicLink())
      return this.#header({ ...base, type: 'symlink', linkname: readLinkWalked(p, 'write layer tar') });
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      const type = st.isCharacterDevice() ? 'char' : 'block';
      return this.#header({ ...base, type, devmajor: devMajor(st.rdev), devminor: devMinor(st.rdev) });
    }
    if (st.isFIFO()) return this.#header({ ...base, type: 'fifo' });
    let xattrs: Map<string, Buffer> | undefined;
    if (st.mode & 0o111) {
      const cap = getXattr(p, CAPABILITY_XATTR);
      if (cap !== null) xattrs = new Map([[CAPABILITY_XATTR, cap]]);
    }
    await this.#header({ ...base, type: 'file', size: st.size, xattrs });
    // Opened no-follow and checked against the lstat above: a file swapped for a symlink
    // meanwhile (a RUN writing a cache mount being exported) is refused, never followed.
    await pushFileBytes(this.sink, openWalkedSync(p, st, 'write layer tar'), p, st.size);
    const pad = padding(st.size);
    if (pad > 0) await this.sink.push(ZERO_BLOCKS.subarray(0, pad));
  }
}
