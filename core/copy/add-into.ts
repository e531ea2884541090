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
import { lstatSync, lutimesSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SourceSet } from '../context/source-set.js';
import { applyLayer } from '../diff/apply-layer.js';
import type { SourceMatch } from '../fs/file-entry.js';
import { setOwnerSync } from '../fs/kept-owner.js';
import { LayerStack } from '../fs/layer-stack.js';
import { detectArchive, openDecompressed } from './archive-detect.js';
import {
  type CopyOptions,
  type CopyResult,
  copyInto,
  createdMtime,
  lowerDirMeta,
  writeEntries,
} from './copy-into.js';
import { planDestination } from './dest-rules.js';
import { WriteTree } from './write-tree.js';

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
  const archives = new Map<SourceMatch, NonNullable<Awaited<ReturnType<typeof detectArchive>>>>();
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
  const lower = opts.lowerDirs ? new LayerStack(opts.lowerDirs) : undefined;
  // An archive always unpacks into a directory: the destination itself.
  const plan = planDestination({
    dest: dest.endsWith('/') ? dest : `${dest}/`,
    workdir: opts.workdir,
    sourceArgs: 1,
    matches: 1,
  });
  const destDir = await ensureDir(staging, plan.path, opts, lower);
  for (const [m, kind] of archives) {
    const tmp = await mkdtemp(path.join(path.dirname(path.resolve(staging)), '.add-unpack-'));
    try {
      // applyLayer's errors (SecurityError for escapes) pass through unchanged: their class matters.
      const res = await applyLayer(tmp, openDecompressed(m.entries[0].abs, kind), { kind: 'user' });
      if (opts.chown) chownTree(tmp, opts.chown.uid, opts.chown.gid);
      mergeInto(tmp, destDir.host);
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
  const tree = new WriteTree(staging, {
    defaultDir: { mode: 0o755, uid: opts.chown?.uid ?? 0, gid: opts.chown?.gid ?? 0, mtime },
    existing: (p) => lowerDirMeta(lower, p),
  });
  // A placeholder child makes the destination one of the planned parents; it is never written.
  tree.put(path.posix.join(imagePath, '.strata-placeholder'), {
    rel: '',
    abs: '',
    type: 'socket',
    mode: 0,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 0,
    statKey: '0:0:0',
  });
  await writeEntries(tree, { concurrency: 1 });
  const meta = tree.directories().find((d) => d.target === imagePath)?.meta;
  return { host: tree.hostPath(imagePath), mtime: meta?.mtime ?? mtime };
}

function chownTree(dir: string, uid: number, gid: number): void {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    setOwnerSync(p, uid, gid, { symlink: st.isSymbolicLink() });
    if (st.isDirectory()) chownTree(p, uid, gid);
  }
}

/** Moves everything in `src` into `dst`; directories merge, anything else replaces. */
function mergeInto(src: string, dst: string): void {
  for (const name of readdirSync(src)) {
    const s = path.join(src, name);
    const d = path.join(dst, name);
    let dstStat: ReturnType<typeof lstatSync> | undefined;
    try {
      dstStat = lstatSync(d);
    } catch {
      dstStat = undefined;
    }
    if (dstStat?.isDirectory() && lstatSync(s).isDirectory()) {
      mergeInto(s, d);
      continue;
    }
    if (dstStat) rmSync(d, { recursive: true, force: true });
    renameSync(s, d);
  }
}
