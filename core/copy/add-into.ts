/**
 * ADD from the context or a stage: like COPY, except that a source that is a local tar
 * archive (plain, gzip, bzip2, xz; zstd where Node has it; detected by content) is
 * unpacked into the destination directory instead of copied.
 *
 * Extraction goes through core/diff's hardened `applyLayer` (no `..`, absolute or
 * symlink-crossing names, hardlinks only to earlier entries, size and entry caps) into a
 * fresh temp dir beside the staging dir, and is then moved into place. Entries keep the
 * archive's owners unless --chown is given (BuildKit passes its chowner to the untar).
 */
import { chmodSync, lutimesSync, mkdirSync, renameSync, rmSync, type Stats } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SourceSet } from '../context/source-set.js';
import { applyLayer } from '../diff/apply-layer.js';
import type { SourceMatch } from '../fs/file-entry.js';
import { keptOwner, setOwnerSync } from '../fs/kept-owner.js';
import { LayerStack } from '../fs/layer-stack.js';
import { lstatQuiet } from '../fs/lstat-quiet.js';
import { walkDir } from '../fs/walk-dir.js';
import { detectArchive, openDecompressed } from './archive-detect.js';
import { type CopyOptions, type CopyResult, copyInto, writeEntries } from './copy-into.js';
import { createdMtime, destinationTree, landingPath } from './created-dirs.js';
import { planDestination } from './dest-rules.js';

export interface AddOptions extends CopyOptions {
  /** `ADD --unpack=false` copies archives as files (default true for local sources). */
  unpack?: boolean;
}

export async function addInto(
  staging: string,
  set: SourceSet,
  dest: string,
  opts: AddOptions,
): Promise<CopyResult> {
  const archives = new Map<SourceMatch, ArchiveKind>();
  if (opts.unpack !== false) {
    for (const m of set.matches) {
      const root = m.entries[0];
      if (root.type !== 'file') continue;
      const kind = await detectArchive(root.abs);
      if (kind) archives.set(m, kind);
    }
  }
  const total: CopyResult = { files: 0, bytes: 0, linked: [] };
  if (archives.size < set.matches.length) {
    const plain = await copyInto(
      staging,
      set.filter((m) => !archives.has(m)),
      dest,
      opts,
    );
    total.files += plain.files;
    total.bytes += plain.bytes;
    total.linked = plain.linked;
  }
  if (archives.size === 0) return total;
  const unpacked = await unpackArchives(
    staging,
    [...archives].map(([m, kind]) => ({ file: m.entries[0].abs, kind })),
    dest,
    opts,
  );
  total.files += unpacked.files;
  total.bytes += unpacked.bytes;
  return total;
}

export type ArchiveKind = NonNullable<Awaited<ReturnType<typeof detectArchive>>>;

/**
 * Unpacks archives (files we hold: context files, a downloaded body) into the destination
 * directory, created by the created-directory rule when missing.
 */
export async function unpackArchives(
  staging: string,
  archives: readonly { file: string; kind: ArchiveKind }[],
  dest: string,
  opts: AddOptions,
): Promise<{ files: number; bytes: number }> {
  const total = { files: 0, bytes: 0 };
  // An archive always unpacks into a directory: the destination itself.
  const plan = planDestination({
    dest: dest.endsWith('/') ? dest : `${dest}/`,
    workdir: opts.workdir,
    sourceArgs: 1,
    matches: 1,
  });
  const merge: MergeTarget = { staging: path.resolve(staging), opts };
  const landing = await landAt(plan.path, merge);
  const destDir = await ensureDir(staging, landing, opts, mergedView(merge));
  for (const { file, kind } of archives) {
    const tmp = await mkdtemp(path.join(path.dirname(path.resolve(staging)), '.add-unpack-'));
    try {
      // applyLayer's errors (SecurityError for escapes) pass through unchanged: their class matters.
      const res = await applyLayer(tmp, openDecompressed(file, kind), {
        kind: 'user',
        ...(opts.chown ? { owner: opts.chown } : {}),
      });
      // Each archive lands where the image, with what this step staged so far, points.
      await mergeInto(tmp, await landAt(plan.path, merge), merge);
      total.files += res.entries;
      total.bytes += res.size;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  // Moving entries in touched the directory's mtime; put back the planned one.
  lutimesSync(destDir.host, destDir.mtime, destDir.mtime);
  return total;
}

/** Creates the destination directory and its parents with the usual metadata rules. */
async function ensureDir(
  staging: string,
  imagePath: string,
  opts: AddOptions,
  lower: LayerStack | undefined,
) {
  const mtime = createdMtime(opts.sourceDateEpoch);
  const tree = destinationTree(staging, lower, opts);
  tree.ensureDir(imagePath);
  await writeEntries(tree, { concurrency: 1 });
  const meta = tree.directories().find((d) => d.target === imagePath)?.meta;
  return { host: tree.hostPath(imagePath), mtime: meta?.mtime ?? mtime };
}

interface MergeTarget {
  /** The staging dir, absolute. */
  staging: string;
  opts: AddOptions;
}

/**
 * The image as this step will leave it so far: the staging dir over the layers below. Made
 * fresh for each question, since merging changes the staging dir (LayerStack caches).
 */
function mergedView(m: MergeTarget): LayerStack {
  return new LayerStack([m.staging, ...(m.opts.lowerDirs ?? [])]);
}

/**
 * Where image directory `imagePath` really is: symlinks followed with chroot semantics by
 * core/fs's one resolver over the merged view, so neither a link of the image nor one an
 * earlier archive of this step staged is ever written through. Made a directory (by the
 * created-directory rule) when missing.
 */
async function landAt(imagePath: string, m: MergeTarget): Promise<string> {
  const view = mergedView(m);
  const landed = landingPath(view, imagePath);
  if (!isStagedDir(m.staging + landed)) await ensureDir(m.staging, landed, m.opts, view);
  return landed;
}

/**
 * Moves an unpacked archive (`src`, our own temp dir) into the staging dir at image path
 * `imageDir` (a real directory there): directories merge, anything else replaces. A
 * directory of the archive that the merged view has as a symlink is followed, clamped to
 * the root (containerd's untar resolves parents with fs.RootPath): `var/run/x` lands in
 * /run/x when /var/run -> /run. Where the image has anything at a directory's path, that
 * directory is merged entry by entry (a symlink may lie deeper); elsewhere it is moved whole.
 */
async function mergeInto(src: string, imageDir: string, m: MergeTarget): Promise<void> {
  // The image directory each directory of `src` being walked lands in, root first; `made`:
  // a directory this merge created, whose times are put back after its children.
  const dirs: { imageDir: string; made?: { d: string; st: Stats } }[] = [{ imageDir }];
  // `src` is our own temp dir, made by applyLayer; it is walked (and its entries renamed
  // away) through core/fs's walker, which names each entry in the directory it holds open.
  // The staging side is written by path: `d`'s parent is an image directory landAt resolved
  // through the merged view (where the staging dir is the top layer, so a staged symlink
  // is followed with chroot semantics, never written through) or one this merge just
  // found or made a real directory, and only this step writes the staging dir.
  await walkDir(
    src,
    {
      async visit(v) {
        const img = path.posix.join(dirs[dirs.length - 1].imageDir, v.name);
        const st = v.st;
        const isDir = st.isDirectory();
        const here = isDir ? mergedView(m).probe(img.slice(1)) : undefined;
        if (here?.kind === 'link') {
          dirs.push({ imageDir: await landAt(img, m) });
          return true;
        }
        const d = m.staging + img;
        const staged = lstatQuiet(d);
        if (isDir && here?.kind === 'dir') {
          if (!staged) {
            mkdirSync(d);
            const o = keptOwner(v.at, st);
            setOwnerSync(d, o.uid, o.gid, { symlink: false });
            chmodSync(d, st.mode & 0o7777);
          }
          dirs.push({ imageDir: img, made: staged ? undefined : { d, st } });
          return true;
        }
        if (staged) rmSync(d, { recursive: true, force: true });
        renameSync(v.at, d);
        return false;
      },
      leave() {
        const made = dirs.pop()?.made;
        if (made) lutimesSync(made.d, made.st.atime, made.st.mtime);
      },
    },
    { order: 'listing' },
  );
}

function isStagedDir(p: string): boolean {
  return lstatQuiet(p)?.isDirectory() ?? false;
}
