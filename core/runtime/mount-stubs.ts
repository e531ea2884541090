import type { Stats } from 'node:fs';
import { lutimesSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { resolveInRootRelative } from '../fs/host-tree.js';
import { lstatQuiet } from '../fs/lstat-quiet.js';
import type { Mount } from './spec.js';

/**
 * Mount targets runc will create in the root filesystem because they do not exist yet:
 * `created` lists the missing components shallow to deep (relative paths, no leading '/'),
 * `parent` the existing directory above them and its times before the run.
 */
export interface MountStub {
  created: string[];
  parent: string;
  /** Nanoseconds since the epoch: overlay copies times exactly, so restore them exactly. */
  atimeNs?: bigint;
  mtimeNs?: bigint;
}

/**
 * The targets of `mounts` that land on the root filesystem itself: a mount under an
 * earlier mount (/dev/pts under the /dev tmpfs) is created inside that mount, not the rootfs.
 */
export function rootfsTargets(mounts: Mount[]): string[] {
  const out: string[] = [];
  mounts.forEach((m, i) => {
    const dest = path.posix.normalize(m.destination);
    const nested = mounts.slice(0, i).some((e) => {
      const d = path.posix.normalize(e.destination);
      return d !== dest && dest.startsWith(d === '/' ? '/' : `${d}/`);
    });
    if (!nested) out.push(dest);
  });
  return out;
}

/**
 * Before the run: which of `targets` are missing in `rootfs` (resolved as runc will, with
 * symlinks relative to the root), and so will be created by runc as empty stubs.
 */
export function recordStubs(rootfs: string, targets: string[]): MountStub[] {
  const stubs: MountStub[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    const parts = resolveInRootRelative(rootfs, t).split('/').filter(Boolean);
    for (let i = 0; i < parts.length; i++) {
      const rel = parts.slice(0, i + 1).join('/');
      const st = lstatQuiet(path.join(rootfs, rel));
      if (st) continue;
      if (seen.has(rel)) continue;
      const created: string[] = [];
      for (let j = i; j < parts.length; j++) created.push(parts.slice(0, j + 1).join('/'));
      for (const c of created) seen.add(c);
      const parent = parts.slice(0, i).join('/');
      const pst = lstatQuiet(path.join(rootfs, parent), true);
      stubs.push({ created, parent, atimeNs: pst?.atimeNs, mtimeNs: pst?.mtimeNs });
      break;
    }
  }
  return stubs;
}

/**
 * After the run, with nothing running on `root` any more: removes the stubs runc left,
 * deepest first, when they are still empty files or empty directories, then puts back the
 * parent's times (so a stub leaves no trace in the layer, BuildKit #3148).
 *
 * The tree is hostile: the step may have swapped any parent for a symlink (CVE-2024-23652,
 * where BuildKit's cleaner followed such a link and deleted host files). Every path is
 * walked component by component with lstat from `root`, and a stub is left alone as soon
 * as any component is a symlink or not a directory. Nothing is ever followed.
 *
 * @returns the relative paths removed
 */
export function removeStubs(root: string, stubs: MountStub[]): string[] {
  const removed: string[] = [];
  // Deeper stubs first across all entries, so a shared parent is emptied before its turn.
  const all = stubs.flatMap((s) => s.created).sort((a, b) => b.split('/').length - a.split('/').length);
  for (const rel of all) {
    const st = walkNoFollow(root, rel);
    if (!st) continue;
    const host = path.join(root, rel);
    try {
      if (st.isDirectory() && readdirSync(host).length === 0) rmdirSync(host);
      else if (st.isFile() && st.size === 0) unlinkSync(host);
      else continue;
      removed.push(rel);
    } catch {
      // Left in place: the layer then shows it, which is safe.
    }
  }
  for (const s of stubs) {
    if (s.mtimeNs === undefined || s.atimeNs === undefined || !removed.includes(s.created[0] as string))
      continue;
    const st = s.parent === '' ? lstatQuiet(root) : walkNoFollow(root, s.parent);
    if (!st?.isDirectory()) continue;
    try {
      // One syscall, not two touch(1) processes per stub (they were a visible part of every
      // RUN). A double of seconds keeps about a quarter microsecond, and the call may keep
      // only microseconds; layers record whole seconds, so nothing is lost.
      const target = path.join(root, s.parent);
      lutimesSync(target, seconds(s.atimeNs), seconds(s.mtimeNs));
    } catch {
      // Times are cosmetic for the layer; never fail a step over them.
    }
  }
  return removed;
}

/**
 * lstat of `root/rel` reached only through real directories; undefined when a component is
 * missing, a symlink, or not a directory (the final component may be anything but a symlink).
 */
export function walkNoFollow(root: string, rel: string): Stats | undefined {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return undefined;
  let cur = root;
  let st: Stats | undefined;
  for (let i = 0; i < parts.length; i++) {
    cur = path.join(cur, parts[i] as string);
    st = lstatQuiet(cur);
    if (!st || st.isSymbolicLink()) return undefined;
    if (i < parts.length - 1 && !st.isDirectory()) return undefined;
  }
  return st;
}

/** Nanoseconds as seconds, rounded once (Number(ns) / 1e9 rounds twice). */
function seconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}
