/**
 * The snapshotter used where overlay cannot be mounted: the lowers are merged into a plain
 * directory (whiteouts and opaque dirs applied), the step runs on a copy of it, and the
 * difference is written in overlay's own form (char 0:0 whiteouts) so callers see the same
 * upper dir either way. Copies of a private tree use `cp -a`, which keeps owners, modes,
 * times, xattrs, hardlinks and device nodes.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { FileEntry } from '../fs/file-entry.js';
import { LayerStack } from '../fs/layer-stack.js';
import { writeHostTree } from '../fs/write-host-tree.js';

const run = promisify(execFile);

/**
 * Merges `lowerDirs` (top-most first) into the empty directory `dest`: the stack's merged
 * view (core/fs/layer-stack.ts applies whiteouts and opaque dirs) written with every
 * attribute kept (owners, modes, times, xattrs, hard links, device nodes) by the one tree
 * writer (core/fs/write-host-tree.ts), so no layer is replayed and nothing is followed.
 */
export async function mergeLowers(lowerDirs: string[], dest: string): Promise<void> {
  await mkdir(dest, { recursive: true, mode: 0o755 });
  if (lowerDirs.length === 0) return;
  const stack = new LayerStack(lowerDirs);
  await writeHostTree(
    // LayerStack.list reads only the directory's path from the entry.
    { root: stack.layers[0], list: (abs) => stack.list({ abs } as FileEntry) },
    dest,
    { keepOwners: true, keepXattrs: true },
  );
}

/** A full copy of `src` into `dest` (which must not exist yet). */
export async function copyTree(src: string, dest: string): Promise<void> {
  await run('cp', ['-a', '--no-dereference', src, dest]);
}

/** Copies what the directory `src` holds into the existing directory `dest`, as copyTree. */
export async function copyContents(src: string, dest: string): Promise<void> {
  await run('cp', ['-a', '--no-dereference', '--', `${src}/.`, dest]);
}
