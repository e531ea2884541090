/**
 * The scene of the export-target attacks (test/e2e/export-local.test.ts and the
 * hostile-input corpus): an output directory a user already keeps files in, and a base image
 * whose only layer marks its root opaque (as some pulled images do) with a /tmp to delete.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { OPAQUE_XATTR, setXattr } from '../../../core/fs/overlay-form.js';
import type { Store } from '../../../store/index.js';
import { makeBusyboxRootfs } from './busybox-rootfs.js';
import { makeStoreImage } from './store-image.js';

/** What the user had in D, path -> content. */
export const USER_FILES: Record<string, string> = {
  '.git/HEAD': 'ref: refs/heads/main\n',
  '.ssh/id': 'PRIVATE KEY\n',
  'notes.txt': 'my notes\n',
  'tmp/userfile': 'mine\n',
};

/** Makes `d` as a user has it before the export (USER_FILES); returns `d`. */
export async function makeUserDir(d: string): Promise<string> {
  for (const [f, text] of Object.entries(USER_FILES)) {
    await mkdir(join(d, f, '..'), { recursive: true });
    await writeFile(join(d, f), text, { mode: 0o600 });
  }
  return d;
}

/** Every file of USER_FILES is still in `d`, unchanged. */
export async function expectUserFilesKept(d: string): Promise<void> {
  for (const [f, text] of Object.entries(USER_FILES)) expect(await readFile(join(d, f), 'utf8')).toBe(text);
}

/** Tags `tag` in `store`: busybox in one layer whose root is opaque, with /tmp/base-file. */
export async function makeOpaqueRootBase(store: Store, tag: string): Promise<void> {
  await makeStoreImage(
    store,
    [
      async (d) => {
        await makeBusyboxRootfs(d);
        await writeFile(join(d, 'tmp/base-file'), 'from the base\n');
        setXattr(d, OPAQUE_XATTR, 'y');
      },
    ],
    { tag },
  );
}
