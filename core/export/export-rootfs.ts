/**
 * exportRootfs (`--output type=local`): the image's flattened filesystem in a directory, as a
 * container would see it: layers applied base first, whiteouts and opaque dirs honoured.
 */

import type { Stats } from 'node:fs';
import {
  chmod,
  copyFile,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  readdir,
  readlink,
  rm,
  symlink,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../../store/index.js';
import { devMajor, devMinor, isOpaqueDir, isWhiteout, mknod } from '../fs/overlay-form.js';
import { readImage } from '../image/read-image.js';
import type { Digest } from '../oci/digest.js';

/**
 * Applies every layer of `image` onto `dir` (created if needed; existing files are
 * overwritten or removed as the layers say, others are left alone). Ownership is kept when
 * running as root; device nodes are made only as root and skipped otherwise. A path that a
 * lower layer made a symlink and an upper layer makes a directory is replaced by a real
 * directory first, so no write ever follows a symlink out of `dir`.
 */
export async function exportRootfs(store: Store, image: { config: Digest }, dir: string): Promise<void> {
  const stored = await readImage(store, image.config);
  await mkdir(dir, { recursive: true });
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  for (const layer of stored.layers) {
    await applyDiffDir(store.diffPath(layer.chainId), dir, { root });
  }
}

interface ApplyState {
  root: boolean;
  /** dev:ino -> destination path of the first copy, to recreate hard links within a layer. */
  links: Map<string, string>;
}

async function applyDiffDir(src: string, dest: string, opts: { root: boolean }): Promise<void> {
  const state: ApplyState = { root: opts.root, links: new Map() };
  if (isOpaqueDir(src)) await clearDir(dest);
  await applyChildren(src, dest, state);
}

async function applyChildren(src: string, dest: string, state: ApplyState): Promise<void> {
  for (const name of (await readdir(src)).sort()) {
    const s = join(src, name);
    const d = join(dest, name);
    const st = await lstat(s);
    if (isWhiteout(st)) {
      await rm(d, { recursive: true, force: true });
      continue;
    }
    const existing = await lstat(d).catch(() => undefined);
    if (st.isDirectory()) {
      if (existing !== undefined && !existing.isDirectory()) await rm(d, { force: true });
      if (existing === undefined || !existing.isDirectory()) await mkdir(d);
      else if (isOpaqueDir(s)) await clearDir(d);
      await applyChildren(s, d, state);
      await setAttrs(d, st, state);
      continue;
    }
    if (existing !== undefined) await rm(d, { recursive: true, force: true });
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? state.links.get(key) : undefined;
    if (first !== undefined) {
      await link(first, d);
      continue;
    }
    if (st.isFile()) {
      await copyFile(s, d);
    } else if (st.isSymbolicLink()) {
      await symlink(await readlink(s), d);
    } else if (st.isFIFO()) {
      await mknod(d, 'p', 0, 0, st.mode);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      if (!state.root) continue;
      await mknod(d, st.isCharacterDevice() ? 'c' : 'b', devMajor(st.rdev), devMinor(st.rdev), st.mode);
    } else {
      continue; // sockets are never part of an image
    }
    if (st.nlink > 1) state.links.set(key, d);
    await setAttrs(d, st, state);
  }
}

async function setAttrs(p: string, st: Stats, state: ApplyState): Promise<void> {
  if (state.root) await lchown(p, st.uid, st.gid);
  // chown clears setuid/setgid, so the mode goes after it; symlinks have no mode of their own.
  if (!st.isSymbolicLink()) await chmod(p, st.mode & 0o7777);
  await lutimes(p, st.atime, st.mtime);
}

async function clearDir(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    await rm(join(dir, name), { recursive: true, force: true });
  }
}
