import { closeSync, readSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BelowRoot } from '../../../core/fs/open-below.js';
import { InvalidInputError, NotFoundError } from '../../../core/oci/errors.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';

const tempDir = useTempDirs();

function readAll(below: BelowRoot, rel: string): string {
  const { fd, size } = below.openFile(rel, 'test');
  try {
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    return buf.toString();
  } finally {
    closeSync(fd);
  }
}

describe('BelowRoot', () => {
  it('opens files in tree order, reusing and leaving directories as the paths move', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'a', 'b'), { recursive: true });
    await mkdir(join(root, 'c'));
    await writeFile(join(root, 'top'), 'top');
    await writeFile(join(root, 'a', 'b', 'x'), 'abx');
    await writeFile(join(root, 'a', 'y'), 'ay');
    await writeFile(join(root, 'c', 'z'), 'cz');
    const below = new BelowRoot(root);
    try {
      expect(['a/b/x', 'a/y', 'c/z', 'top', 'a/b/x'].map((p) => readAll(below, p))).toEqual([
        'abx',
        'ay',
        'cz',
        'top',
        'abx',
      ]);
    } finally {
      below.close();
    }
  });

  it('refuses a symlink in any component, a non-file, an unclean path; a missing file is NotFound', async () => {
    const root = await tempDir();
    const host = await tempDir();
    await writeFile(join(host, 'secret'), 'host');
    await mkdir(join(root, 'd'));
    await writeFile(join(root, 'd', 'f'), 'inside');
    await symlink(host, join(root, 'link'));
    await symlink(join(host, 'secret'), join(root, 'd', 'sym'));
    const below = new BelowRoot(root);
    try {
      expect(readAll(below, 'd/f')).toBe('inside');
      expect(() => below.openFile('link/secret', 'test')).toThrow(InvalidInputError);
      expect(() => below.openFile('d/sym', 'test')).toThrow(/runs through a symlink/);
      expect(() => below.openFile('d', 'test')).toThrow(/not a regular file/);
      expect(() => below.openFile('d/../link/secret', 'test')).toThrow(/not a clean relative path/);
      expect(() => below.openFile('d/none', 'test')).toThrow(NotFoundError);
      // A directory swapped for a symlink after it was entered: the one held is still the
      // (now deleted) directory, so the host's file is not reached through it...
      await rm(join(root, 'd'), { recursive: true });
      await symlink(host, join(root, 'd'));
      expect(() => below.openFile('d/secret', 'test')).toThrow(NotFoundError);
      // ...and once left, it is looked up again from above and refused.
      await writeFile(join(root, 'top'), 'top');
      expect(readAll(below, 'top')).toBe('top');
      expect(() => below.openFile('d/secret', 'test')).toThrow(/runs through a symlink/);
    } finally {
      below.close();
    }
  });
});
