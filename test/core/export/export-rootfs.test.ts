/**
 * exportRootfs writes the merged view of the layer stack: a layer whose root is opaque hides
 * every layer below it, whiteouts hide lower names, and nothing of the destination goes.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportRootfs } from '../../../core/export/export-rootfs.js';
import { mknod, OPAQUE_XATTR, setXattr } from '../../../core/fs/overlay-form.js';
import { Store } from '../../../store/index.js';
import { makeStoreImage } from '../../e2e/helpers/store-image.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';

const tmp = useTempDirs('strata-export-rootfs-');

describe('exportRootfs', () => {
  it.runIf(process.getuid?.() === 0)(
    'a middle layer with an opaque root hides the layers below it',
    async () => {
      const store = await Store.open(join(await tmp(), 'store'));
      const image = await makeStoreImage(store, [
        async (d) => {
          await writeFile(join(d, 'old.txt'), 'old\n');
          await mkdir(join(d, 'etc'));
          await writeFile(join(d, 'etc/old.conf'), 'old\n');
        },
        async (d) => {
          await mkdir(join(d, 'etc'));
          await writeFile(join(d, 'etc/new.conf'), 'new\n');
          await writeFile(join(d, 'gone.txt'), 'deleted above\n');
          setXattr(d, OPAQUE_XATTR, 'y');
        },
        async (d) => {
          await writeFile(join(d, 'top.txt'), 'top\n');
          await mknod(join(d, 'gone.txt'), 'c', 0, 0, 0);
        },
      ]);
      const out = join(await tmp(), 'out');
      await mkdir(out);
      await writeFile(join(out, 'mine.txt'), 'mine\n');
      await exportRootfs(store, image, out);
      expect((await readdir(out)).sort()).toEqual(['etc', 'mine.txt', 'top.txt']);
      expect(await readdir(join(out, 'etc'))).toEqual(['new.conf']);
    },
  );
});
