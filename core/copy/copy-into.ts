/**
 * copyInto: materialises the result of one COPY (or the plain-file part of an ADD) into a
 * fresh staging dir that becomes the layer's diff dir. The staging dir holds exactly what
 * the step writes: the destination's missing parents, the copied entries, nothing else.
 *
 * Ownership: `--chown` if given; else context files are 0:0 and COPY --from keeps the
 * files' own owners. Created parents are 0755 and owned by the --chown user (fsutil's
 * MkdirAll gets the same chowner), else root; parents that already exist in the image
 * keep the image's metadata. Mode and mtime are preserved (mtime clamped to
 * SOURCE_DATE_EPOCH), `--chmod` replaces the mode of every copied entry.
 */

import { chmodSync, closeSync, linkSync, lutimesSync, mkdirSync, openSync, symlinkSync } from 'node:fs';
import { chmod, lutimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createLimiter } from '../context/limit.js';
import type { SourceSet } from '../context/source-set.js';
import type { FileEntry } from '../fs/file-entry.js';
import { setOwnerSync } from '../fs/kept-owner.js';
import { LayerStack } from '../fs/layer-stack.js';
import { copyWalked, copyWalkedSync, inodeOfStatKey } from '../fs/open-walked.js';
import { InvalidInputError, NoSpaceError, StrataError } from '../oci/errors.js';
import { COLLECT_EVERY, collectIfLarge } from '../progress/heap.js';
import { type ChmodFn, parseChmod } from './chmod-spec.js';
import { destinationTree, landingPath, lowerDirMeta } from './created-dirs.js';
import { planDestination } from './dest-rules.js';
import { LayerSource } from './layer-source.js';
import type { DirMeta, WriteTree } from './write-tree.js';

/** Files up to this size are copied synchronously; bigger ones through the bounded async path. */
const SYNC_MAX = 256 << 10;

export interface Owner {
  uid: number;
  gid: number;
}

export interface CopyOptions {
  /** The stage's WORKDIR; relative destinations join onto it. */
  workdir: string;
  chown?: Owner;
  /** Octal or symbolic (Dockerfile 1.14) mode. */
  chmod?: string;
  /** --parents; normally already set on the SourceSet by resolveSources. */
  parents?: boolean;
  /** Seconds; mtimes later than this are clamped to it. */
  sourceDateEpoch?: number;
  /**
   * The image below this step, top layer first. Decides whether the destination is an
   * existing directory, and gives parents that already exist their metadata.
   */
  lowerDirs?: readonly string[];
  /** Concurrent file copies (default 32). */
  concurrency?: number;
  /**
   * An identical file already in an immutable earlier layer, to hard-link instead of
   * copying: a COPY that misses because one file changed then writes only that file. The
   * caller guarantees the same operation (destination, --chown, --chmod), so the linked
   * file's owner and mode are already what this copy would give it. If linking fails
   * (the path is gone), the file is copied as usual.
   */
  reuse?: (target: string, e: FileEntry) => string | undefined;
  /** Told about every regular file written (target path in the image), copied or linked. */
  onFile?: (target: string, e: FileEntry) => void;
}

export interface CopyResult {
  /** Non-directory entries written. */
  files: number;
  /** Bytes of regular files written. */
  bytes: number;
  /** Targets (image paths) hard-linked from an earlier layer through `reuse`. */
  linked: string[];
}

/**
 * Copies `set` to `dest` inside `staging`. A LayerSource means "its whole root".
 * @throws InvalidInputError for bad destinations or modes; NoSpaceError when the disk fills.
 */
export async function copyInto(
  staging: string,
  set: SourceSet | LayerSource,
  dest: string,
  opts: CopyOptions,
): Promise<CopyResult> {
  const sources = set instanceof LayerSource ? await set.resolveSources(['/']) : set;
  const parents = opts.parents ?? sources.parents;
  const lower = opts.lowerDirs ? new LayerStack(opts.lowerDirs) : undefined;
  const plan = planDestination({
    dest,
    workdir: opts.workdir,
    sourceArgs: sources.sources.length,
    matches: sources.matches.length,
    existsAsDir: (p) => lowerDirMeta(lower, p) !== undefined,
  });
  const chmodFn = opts.chmod ? parseChmod(opts.chmod) : undefined;
  const tree = destinationTree(staging, lower, opts);
  const landing = landingPath(lower, plan.path);
  for (const m of sources.matches) {
    const root = m.entries[0];
    let base: string;
    if (parents && m.parentsPath !== undefined) base = path.posix.join(landing, m.parentsPath);
    else if (root.type === 'dir') base = landing;
    else base = plan.isDir ? path.posix.join(landing, path.posix.basename(m.path) || '.') : landing;
    // put() normalises what needs it; plain concatenation is the join for the rest.
    const prefix = base.endsWith('/') ? base : `${base}/`;
    for (const e of m.entries) {
      // A copied directory's contents land in the destination; the destination itself, when
      // missing, is created by the one rule for created directories (created-dirs.ts).
      if (e.rel === '' && e.type === 'dir' && !(parents && m.parentsPath !== undefined)) tree.ensureDir(base);
      // join: one flat string. `prefix + e.rel` is a cons string, which the plan's Map
      // flattens into a copy beside it: the target lists a rebuild keeps (linked files, the
      // layer-files rows) held both, 80 bytes a file instead of 48.
      else tree.put(e.rel === '' ? base : [prefix, e.rel].join(''), e);
    }
  }
  return writeEntries(tree, {
    chown: opts.chown,
    chmod: chmodFn,
    sde: opts.sourceDateEpoch,
    concurrency: opts.concurrency ?? 32,
    reuse: opts.reuse,
    onFile: opts.onFile,
  });
}

interface WriteOptions {
  chown?: Owner;
  chmod?: ChmodFn;
  sde?: number;
  concurrency: number;
  reuse?: CopyOptions['reuse'];
  onFile?: CopyOptions['onFile'];
}

/** Writes a planned tree: directories first (sync, parents first), then files concurrently, then directory metadata deepest first. */
export async function writeEntries(tree: WriteTree, o: WriteOptions): Promise<CopyResult> {
  const limit = createLimiter(o.concurrency);
  const euid = process.geteuid?.() ?? 0;
  const egid = process.getegid?.() ?? 0;
  const mtimeOf = (e: FileEntry): number => {
    const t = e.mtime;
    return o.sde !== undefined && t > o.sde ? o.sde : t;
  };
  const ownerOf = (e: FileEntry): Owner => o.chown ?? { uid: e.uid, gid: e.gid };
  let files = 0;
  let bytes = 0;
  const linked: string[] = [];
  let sinceYield = 0;
  const dirs = tree.directories();
  for (const d of dirs) guard(d.target, () => mkdirSync(tree.hostPath(d.target), { recursive: true }));
  const pending: Promise<void>[] = [];
  let seen = 0;
  for (const [target, e] of tree.entries()) {
    // As in the layer tar (write-layer-tar.ts): a big copy's garbage piles up in the old
    // generation (at 100,000 files linked, the heap grew from ~29 to ~75 MB used).
    if (++seen % COLLECT_EVERY === 0) await collectIfLarge();
    if (e.type === 'dir') continue;
    const host = tree.hostPath(target);
    files++;
    if (e.type === 'file') {
      bytes += e.size;
      o.onFile?.(target, e);
      const earlier = o.reuse?.(target, e);
      // A linked file needs nothing more (its owner, mode and mtime are already right): in a
      // one-file rebuild that is every file but one, so nothing else is worked out for it.
      if (earlier !== undefined && tryLink(earlier, host)) {
        linked.push(target);
        continue;
      }
    }
    const owner = ownerOf(e);
    const mode = o.chmod ? o.chmod(e.mode, false) : e.mode;
    if (e.type === 'symlink') {
      guard(target, () => {
        symlinkSync(e.linkTarget ?? '', host);
        if (owner.uid !== euid || owner.gid !== egid)
          setOwnerSync(host, owner.uid, owner.gid, { symlink: true });
        lutimesSync(host, mtimeOf(e), mtimeOf(e));
      });
      continue;
    }
    // A socket cannot be copied; BuildKit (fsutil) writes an empty regular file in its place.
    if (e.type === 'socket') guard(target, () => closeSync(openSync(host, 'wx', 0o600)));
    else if (e.type !== 'file') guard(target, () => makeSpecial(e, host, mode));
    const chowned = owner.uid !== euid || owner.gid !== egid;
    // chown clears setuid/setgid, and copyFile keeps only what the source had.
    const needChmod = chowned || o.chmod !== undefined || (mode & 0o7000) !== 0 || e.type === 'socket';
    if (e.type !== 'file' || e.size <= SYNC_MAX) {
      // Small files synchronously: file creation is disk-bound and the pool round trips
      // only add to it (5,000 copies: 1.8 s sync against 2.8 s with 32 in flight).
      guard(target, () => {
        if (e.type === 'file') copyWalkedSync(e.abs, { ino: inodeOfStatKey(e.statKey) }, host);
        if (chowned) setOwnerSync(host, owner.uid, owner.gid, { symlink: false });
        if (needChmod) chmodSync(host, mode);
        lutimesSync(host, mtimeOf(e), mtimeOf(e));
      });
      if (++sinceYield % 256 === 0) await new Promise((r) => setImmediate(r));
      continue;
    }
    const p = limit(() =>
      guardAsync(target, async () => {
        await copyWalked(e.abs, { ino: inodeOfStatKey(e.statKey) }, host);
        if (chowned) setOwnerSync(host, owner.uid, owner.gid, { symlink: false });
        if (needChmod) await chmod(host, mode);
        await lutimes(host, mtimeOf(e), mtimeOf(e));
      }),
    );
    p.catch(() => {}); // observed by Promise.all below
    pending.push(p);
  }
  await Promise.all(pending);
  // Deepest first, so setting a child's times never disturbs an already-set parent.
  for (const d of [...dirs].reverse()) {
    const host = tree.hostPath(d.target);
    guard(d.target, () => {
      let meta: DirMeta;
      if (d.entry && !d.entry.implied) {
        const owner = ownerOf(d.entry);
        meta = {
          mode: o.chmod ? o.chmod(d.entry.mode, true) : d.entry.mode,
          ...owner,
          mtime: mtimeOf(d.entry),
        };
      } else {
        // A parent that exists in the image keeps its metadata, its mtime clamped like
        // everything else this step writes (what clampMtimes would do at measure time).
        meta = o.sde !== undefined && d.meta.mtime > o.sde ? { ...d.meta, mtime: o.sde } : d.meta;
      }
      setOwnerSync(host, meta.uid, meta.gid, { symlink: false });
      chmodSync(host, meta.mode);
      lutimesSync(host, meta.mtime, meta.mtime);
    });
  }
  return { files, bytes, linked };
}

/** Hard-links `from` to `to`; false (nothing made) when `from` cannot be linked. */
function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw wrap(to, err);
    return false;
  }
}

/**
 * FIFOs and device nodes: Node has no mknod, so the coreutils tools do it (rare in practice).
 * node:child_process is required here, on use: a COPY miss need not pay its 5 ms load.
 */
function makeSpecial(e: FileEntry, host: string, mode: number): void {
  const { execFileSync } = createRequire(import.meta.url)(
    'node:child_process',
  ) as typeof import('node:child_process');
  const m = (mode & 0o777).toString(8);
  if (e.type === 'fifo') {
    execFileSync('mkfifo', ['-m', m, host]);
    return;
  }
  const rdev = e.rdev ?? 0n;
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  execFileSync('mknod', ['-m', m, host, e.type === 'char' ? 'c' : 'b', String(major), String(minor)]);
}

function wrap(target: string, err: unknown): Error {
  // strata's own refusals (a rootless build that cannot keep an owner) already say why.
  if (err instanceof StrataError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new NoSpaceError(`copy: write ${target}: no space left on device`, { cause: err });
  return new InvalidInputError(`copy: write ${target}: ${code ?? (err as Error).message}`, { cause: err });
}

function guard(target: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw wrap(target, err);
  }
}

async function guardAsync(target: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw wrap(target, err);
  }
}
