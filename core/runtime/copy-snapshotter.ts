/**
 * The snapshotter used where overlay cannot be mounted: the lowers are merged into a plain
 * directory (whiteouts and opaque dirs applied), the step runs on a copy of it, and the
 * difference is written in overlay's own form (char 0:0 whiteouts) so callers see the same
 * upper dir either way. Copies use `cp -a`, which keeps owners, modes, times, xattrs,
 * hardlinks and device nodes.
 */
import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { isOpaqueDir, isWhiteout } from '../fs/overlay-form.js';

const run = promisify(execFile);

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch {
    return undefined;
  }
}

/**
 * Applies one overlay-form layer dir onto `dest`. Conflicts are cleared first, parent
 * before child, so that when `cp -a` runs every parent in `dest` is a real directory and
 * no existing entry (a symlink placed by a lower layer) is written through.
 */
async function applyLayer(layer: string, dest: string): Promise<void> {
  const whiteouts: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(path.join(layer, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(path.join(layer, r));
      const target = path.join(dest, r);
      const existing = await lstatOrUndefined(target);
      if (isWhiteout(st)) {
        whiteouts.push(r);
        if (existing) await rm(target, { recursive: true, force: true });
      } else if (st.isDirectory()) {
        if (existing && (!existing.isDirectory() || isOpaqueDir(path.join(layer, r))))
          await rm(target, { recursive: true, force: true });
        await walk(r);
      } else if (existing) {
        await rm(target, { recursive: true, force: true });
      }
    }
  };
  await walk('');
  await run('cp', ['-a', `${layer}/.`, `${dest}/`]);
  for (const w of whiteouts) await rm(path.join(dest, w), { force: true });
}

/** Merges `lowerDirs` (top-most first) into the empty directory `dest`. */
export async function mergeLowers(lowerDirs: string[], dest: string): Promise<void> {
  await mkdir(dest, { recursive: true, mode: 0o755 });
  for (const layer of [...lowerDirs].reverse()) await applyLayer(layer, dest);
}

/** A full copy of `src` into `dest` (which must not exist yet). */
export async function copyTree(src: string, dest: string): Promise<void> {
  await run('cp', ['-a', '--no-dereference', src, dest]);
}

/** Copies what the directory `src` holds into the existing directory `dest`, as copyTree. */
export async function copyContents(src: string, dest: string): Promise<void> {
  await run('cp', ['-a', '--no-dereference', '--', `${src}/.`, dest]);
}
