/**
 * applyLayer: the one hardened routine that unpacks a layer tar into a fresh diff dir in
 * overlay form (the inverse of writeLayerTar). Policy: security.md 2.2/2.3.
 */
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  futimesSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  type Stats,
  symlinkSync,
  utimesSync,
  write as writeCb,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { idMode } from '../fs/id-mode.js';
import { setOwnerSync } from '../fs/kept-owner.js';
import {
  CAPABILITY_XATTR,
  isWhiteout,
  mknod,
  OPAQUE_MARKER,
  opaqueXattr,
  reservedName,
  setXattr,
  WHITEOUT_PREFIX,
  WhiteoutMaker,
} from '../fs/overlay-form.js';
import type { Digest } from '../oci/digest.js';
import {
  InternalError,
  InvalidInputError,
  NoSpaceError,
  RuntimeMissingError,
  SecurityError,
  StrataError,
} from '../oci/errors.js';
import { confinedParent, lstatOrNull, normalizeEntryName } from './confined-path.js';
import { decompressed } from './decompressed.js';
import { type TarEntry, TarReader } from './tar-reader.js';
import type { TarSplitWriter } from './tar-split.js';

export interface ApplyLayerOptions {
  /** Cap on uncompressed tar bytes (default 64 GiB). */
  maxBytes?: number;
  /** Cap on tar headers, PAX ones included (default 1,000,000). */
  maxEntries?: number;
  /**
   * `layer` (default): an image layer, whose `.wh.` names are whiteouts. `user`: a user's
   * archive (ADD), where nothing may delete: a `.wh.` name is refused, since no layer can
   * hold such a file (every image consumer reads it back as a deletion).
   */
  kind?: 'layer' | 'user';
  /**
   * Every entry's owner instead of the archive's (`ADD --chown`, as BuildKit passes its
   * chowner to the untar): set as each entry is made, before its mode, even when not root.
   */
  owner?: { uid: number; gid: number };
  /** Added to the error when maxBytes is reached (what the cap is, how to raise it). */
  capHint?: string;
  /**
   * Records the tar as it is applied, so the diff dir can give back its exact bytes
   * (tar-split.ts). The caller finishes or aborts it; `split.usable` says whether it can.
   */
  split?: TarSplitWriter;
}

export interface ApplyLayerResult {
  /** sha256 of the uncompressed tar, every byte up to the end of the stream. */
  diffId: Digest;
  /** Entries applied (PAX/GNU meta headers not counted). */
  entries: number;
  /** Bytes of uncompressed tar. */
  size: number;
}

const IS_ROOT = process.getuid?.() === 0;
const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** Files up to this size are written synchronously (see #file). */
const SMALL_FILE = 64 * 1024;

/**
 * Unpacks `tar` (plain, or gzip detected by magic; zstd when this Node has it) into `root`,
 * an existing, empty directory that nothing else writes to meanwhile.
 *
 * - Names: leading `/` stripped, cleaned; still not local -> SecurityError. Root entries
 *   are ignored. No component may run through a symlink (SecurityError) or a file.
 * - An existing path is replaced unless both are directories (metadata merges); a
 *   replaced path is unlinked first, so a write never lands in an older hardlink's inode.
 * - Hardlinks must name an earlier non-directory entry of this tar (else SecurityError);
 *   a link to a symlink links the symlink itself.
 * - Whiteouts: `.wh.x` -> char device 0:0 `x` (or, when this layer already has `x`, an
 *   opaque `x` if it is a dir: whiteouts only hide lower layers); `.wh..wh..opq` ->
 *   `trusted.overlay.opaque=y` on its dir; other `.wh..wh.*` ignored. `.wh.`, `.wh..`,
 *   `.wh...`, whiteouts with data or of another type: refused.
 * - Metadata: numeric uid/gid (when root), mode incl. setuid bits, whole-second mtimes;
 *   only the `security.capability` xattr is applied (never `trusted.*`: an overlay xattr
 *   from a tar could redirect lookups). Devices and fifos are created (root needed);
 *   char 0:0 from the tar is refused: in overlay form it would mean "deleted".
 * - Limits: maxBytes of uncompressed data and maxEntries headers; a bomb stops at the cap.
 *
 * On failure `tar` is destroyed and `root` holds a partial tree: the caller discards it
 * (a staging dir). Errors: SecurityError (escapes), InvalidInputError (malformed, caps,
 * truncation), NoSpaceError (ENOSPC).
 */
export async function applyLayer(
  root: string,
  tar: Readable,
  opts: ApplyLayerOptions = {},
): Promise<ApplyLayerResult> {
  const absRoot = path.resolve(root);
  if (!lstatOrNull(absRoot)?.isDirectory())
    throw new InvalidInputError(`apply layer: ${root} is not a directory`);
  const reader = new TarReader(decompressed(tar), {
    maxBytes: opts.maxBytes ?? 64 * 2 ** 30,
    maxEntries: opts.maxEntries ?? 1_000_000,
    ...(opts.capHint ? { capHint: opts.capHint } : {}),
    ...(opts.split ? { onRaw: opts.split.raw } : {}),
  });
  const applier = new Applier(absRoot, opts.kind ?? 'layer', opts.owner !== undefined, opts.split);
  let current = '';
  try {
    for (let e = await reader.next(); e !== null; e = await reader.next()) {
      current = e.name;
      if (opts.owner) {
        e.uid = opts.owner.uid;
        e.gid = opts.owner.gid;
      }
      await applier.apply(e, reader);
      await opts.split?.settle();
    }
    current = '';
    applier.finishDirs();
    const { digest, size } = await reader.finish();
    return { diffId: digest, entries: applier.count, size };
  } catch (err) {
    tar.destroy();
    throw mapError(err, current);
  } finally {
    applier.dispose();
  }
}

function mapError(err: unknown, entry: string): Error {
  if (err instanceof StrataError) return err;
  const e = err as NodeJS.ErrnoException;
  const where = entry ? ` ${JSON.stringify(entry)}` : '';
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT' || /No space left/.test(String(e?.message))) {
    return new NoSpaceError(`apply layer${where}: no space left on device`, { cause: err });
  }
  if (e?.code === 'EPERM')
    return new InternalError(`apply layer${where}: ${e.message} (root needed)`, { cause: err });
  return new InvalidInputError(`apply layer${where}: ${e?.message ?? String(err)}`, { cause: err });
}

class Applier {
  count = 0;
  readonly #root: string;
  readonly #whiteouts: WhiteoutMaker;
  /** Non-directory paths this tar created: the only legal hardlink targets. */
  readonly #made = new Set<string>();
  /** Directory metadata, applied at the end so child writes do not disturb mtimes. */
  readonly #dirs = new Map<string, TarEntry>();
  readonly #kind: 'layer' | 'user';
  /** Whether owners are set: as root (the archive's), or always when one is forced. */
  readonly #setOwners: boolean;
  readonly #split: TarSplitWriter | undefined;

  constructor(root: string, kind: 'layer' | 'user', forcedOwner: boolean, split?: TarSplitWriter) {
    this.#root = root;
    this.#split = split;
    this.#kind = kind;
    this.#setOwners = IS_ROOT || forcedOwner;
    this.#whiteouts = new WhiteoutMaker(root);
  }

  dispose(): void {
    this.#whiteouts.dispose();
  }

  async apply(e: TarEntry, reader: TarReader): Promise<void> {
    this.count++;
    const rel = normalizeEntryName(e.name);
    if (rel === '') return reader.skipBody(); // the root's own entry: the diff dir is ours
    const base = path.posix.basename(rel);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      if (this.#kind === 'user') throw reservedName('unpack archive', rel);
      return this.#whiteout(rel, base, e);
    }
    const abs = path.join(confinedParent(this.#root, rel, true) as string, base);
    switch (e.type) {
      case 'dir':
        return this.#dir(abs, rel, e);
      case 'file':
        return this.#file(abs, rel, e, reader);
      case 'symlink':
        this.#create(abs, rel, () => symlinkSync(e.linkname, abs));
        if (this.#setOwners) setOwnerSync(abs, e.uid, e.gid, { symlink: true });
        lutimesSync(abs, e.mtime, e.mtime);
        this.#made.add(rel);
        return;
      case 'link':
        return this.#hardlink(abs, rel, e);
      default:
        return this.#node(abs, rel, e);
    }
  }

  /** Removes whatever is at `abs` (never following it) and forgets what lived there. */
  #clear(abs: string, rel: string, st: Stats | null = lstatOrNull(abs)): void {
    if (st === null) return;
    rmSync(abs, { recursive: true, force: true });
    this.#split?.removed(rel);
    const under = `${rel}/`;
    for (const k of this.#made) if (k === rel || k.startsWith(under)) this.#made.delete(k);
    for (const k of this.#dirs.keys()) if (k === rel || k.startsWith(under)) this.#dirs.delete(k);
  }

  #dir(abs: string, rel: string, e: TarEntry): void {
    this.#dirs.set(rel, e);
    try {
      mkdirSync(abs, 0o700); // mkdir(2) never follows a symlink at abs: EEXIST
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const prev = lstatOrNull(abs);
    if (prev?.isDirectory()) return;
    this.#clear(abs, rel, prev);
    this.#dirs.set(rel, e); // #clear forgot it
    mkdirSync(abs, 0o700);
    // A whiteout from earlier in this tar, then a dir: lower children stay hidden.
    if (prev !== null && isWhiteout(prev)) setXattr(abs, opaqueXattr(), 'y');
  }

  async #file(abs: string, rel: string, e: TarEntry, reader: TarReader): Promise<void> {
    const fd = this.#create(abs, rel, () => openSync(abs, FILE_FLAGS, 0o600));
    this.#split?.file(rel, e.size);
    // Small files are written synchronously: a round trip through the pool per file cost
    // more than the write (half the main thread's time for a 38,000-file base). For larger
    // ones, one write is in flight on the pool while the next chunk is gunzipped, hashed and
    // parsed on the main thread (writeSync there was ~25% of a 200 MB pull's main-thread
    // time). Chunks are never reused by the reader, so holding one during its write is safe.
    let writing: Promise<void> = Promise.resolve();
    try {
      if (e.size <= SMALL_FILE) for await (const chunk of reader.body()) writeAllSync(fd, chunk);
      else {
        for await (const chunk of reader.body()) {
          await writing;
          writing = writeAll(fd, chunk);
        }
        await writing;
      }
      if (this.#setOwners) setOwnerSync(abs, e.uid, e.gid, { symlink: false, fd }); // before chmod: chown clears setuid bits
      fchmodSync(fd, e.mode);
      const cap = e.xattrs.get(CAPABILITY_XATTR);
      if (cap !== undefined && IS_ROOT) setXattr(abs, CAPABILITY_XATTR, cap);
      futimesSync(fd, e.mtime, e.mtime);
    } finally {
      await writing.catch(() => {});
      closeSync(fd);
    }
    this.#made.add(rel);
  }

  /**
   * Runs `make` (which creates `abs` exclusively, never following a symlink); when something
   * is already there, clears it (see #clear) and runs `make` again. One syscall in the
   * common case of a new path instead of an lstat first.
   */
  #create<T>(abs: string, rel: string, make: () => T): T {
    try {
      return make();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.#clear(abs, rel);
    return make();
  }

  #hardlink(abs: string, rel: string, e: TarEntry): void {
    const target = normalizeEntryName(e.linkname, 'hardlink target');
    const refuse = (why: string) =>
      new SecurityError(
        `apply layer: hardlink ${JSON.stringify(rel)} -> ${JSON.stringify(e.linkname)}: ${why}`,
      );
    if (target === rel)
      throw new InvalidInputError(`apply layer: hardlink ${JSON.stringify(rel)} links to itself`);
    if (!this.#made.has(target)) throw refuse('target is not an earlier file of this layer');
    const parent = confinedParent(this.#root, target, false);
    const tabs = parent === null ? null : path.join(parent, path.posix.basename(target));
    const tst = tabs === null ? null : lstatOrNull(tabs);
    if (tabs === null || tst === null || tst.isDirectory()) throw refuse('target is missing or a directory');
    this.#clear(abs, rel);
    linkSync(tabs, abs); // link(2) never follows a symlink target: links the symlink itself
    this.#made.add(rel);
  }

  async #node(abs: string, rel: string, e: TarEntry): Promise<void> {
    if (e.type === 'char' && e.devmajor === 0 && e.devminor === 0) {
      throw new InvalidInputError(
        `apply layer: char device 0:0 ${JSON.stringify(rel)} would read as a whiteout`,
      );
    }
    if (e.type !== 'fifo' && idMode().kind !== 'root') {
      throw new RuntimeMissingError(
        `apply layer: ${JSON.stringify(rel)} is a ${e.type} device node (${e.devmajor}:${e.devminor}): a rootless build cannot create device nodes (the kernel allows mknod only to real root); build this image as root`,
      );
    }
    this.#clear(abs, rel);
    const kind = e.type === 'fifo' ? 'p' : e.type === 'char' ? 'c' : 'b';
    await mknod(abs, kind, e.devmajor, e.devminor, 0o600);
    if (this.#setOwners) setOwnerSync(abs, e.uid, e.gid, { symlink: false });
    chmodSync(abs, e.mode); // abs is the node just made; no component is a symlink
    utimesSync(abs, e.mtime, e.mtime);
    this.#made.add(rel);
  }

  async #whiteout(rel: string, base: string, e: TarEntry): Promise<void> {
    if (e.type !== 'file' || e.size !== 0) {
      throw new InvalidInputError(
        `apply layer: whiteout ${JSON.stringify(rel)} must be an empty regular file`,
      );
    }
    const parent = confinedParent(this.#root, rel, true) as string;
    if (base === OPAQUE_MARKER) return setXattr(parent, opaqueXattr(), 'y');
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // AUFS metadata (.wh..wh.plnk)
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '..')
      throw new SecurityError(`apply layer: whiteout ${JSON.stringify(rel)} targets the parent dir`);
    if (name === '' || name === '.')
      throw new InvalidInputError(`apply layer: whiteout ${JSON.stringify(rel)} has no name`);
    const abs = path.join(parent, name);
    const st = lstatOrNull(abs);
    // Whiteouts hide lower layers only: what this tar made stays; a dir of it goes opaque.
    if (st !== null) {
      if (st.isDirectory()) setXattr(abs, opaqueXattr(), 'y');
      return;
    }
    await this.#whiteouts.make(abs);
  }

  /** Applies deferred dir metadata; each path is re-checked for symlinks on the way. */
  finishDirs(): void {
    for (const [rel, e] of this.#dirs) {
      const parent = confinedParent(this.#root, rel, false);
      if (parent === null) continue;
      const abs = path.join(parent, path.posix.basename(rel));
      if (!lstatOrNull(abs)?.isDirectory()) continue;
      if (this.#setOwners) setOwnerSync(abs, e.uid, e.gid, { symlink: false });
      chmodSync(abs, e.mode);
      utimesSync(abs, e.mtime, e.mtime);
    }
  }
}

const writeAsync = promisify(writeCb);

function writeAllSync(fd: number, chunk: Buffer): void {
  for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
}

async function writeAll(fd: number, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length; ) off += (await writeAsync(fd, chunk, off)).bytesWritten;
}
