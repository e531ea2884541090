/**
 * exportRootfs (`--output type=local`): the image's final filesystem written into a
 * directory, as a container would see it. The merged view of the layer stack (whiteouts and
 * opaque dirs applied within the image, core/fs/layer-stack.ts) is what gets written; the
 * layers are never replayed on the destination, so nothing already there is deleted, and
 * core/fs/write-host-tree.ts makes sure nothing already there is followed.
 */
import type { Store } from '../../store/index.js';
import type { FileEntry } from '../fs/file-entry.js';
import { idMode } from '../fs/id-mode.js';
import { LayerStack } from '../fs/layer-stack.js';
import { writeHostTree } from '../fs/write-host-tree.js';
import { readImage } from '../image/read-image.js';
import type { Digest } from '../oci/digest.js';

/**
 * Writes the filesystem of `image` into `dir` (created if needed) by writeHostTree's rules:
 * files the image has are created or replace a file of the same name; everything else in
 * `dir` stays; a path where a directory meets a non-directory is left alone and reported
 * (InvalidInputError, after the rest is written). Ownership is kept when `keepOwners`
 * (default: as real root; a rootless build keeps owners for a step's own mounts but writes
 * an output the user can own and delete); device nodes are made only then.
 */
export async function exportRootfs(
  store: Store,
  image: { config: Digest },
  dir: string,
  opts: { keepOwners?: boolean } = {},
): Promise<void> {
  const stored = await readImage(store, image.config);
  const stack = new LayerStack(stored.layers.map((l) => store.diffPath(l.chainId)).reverse());
  await writeHostTree(
    {
      root: stack.layers[0] ?? '',
      // LayerStack.list reads only the directory's path from the entry.
      list: (abs) => (stack.layers.length === 0 ? [] : stack.list({ abs } as FileEntry)),
    },
    dir,
    { keepOwners: opts.keepOwners ?? idMode().kind === 'root' },
  );
}
