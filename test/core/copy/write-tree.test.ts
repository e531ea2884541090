import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WriteTree } from '../../../core/copy/write-tree.js';
import type { FileEntry } from '../../../core/fs/file-entry.js';

const FILE: FileEntry = {
  rel: 'x',
  abs: '/nowhere/x',
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 0,
  statKey: '0:0:0',
};

describe('WriteTree.put', () => {
  it('keys every target by its normalised path (fast path or not)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\/[a./]{0,10}$/), (target) => {
        const tree = new WriteTree('/staging', {
          defaultDir: { mode: 0o755, uid: 0, gid: 0, mtime: 0 },
          existing: () => undefined,
        });
        tree.put(target, FILE);
        expect([...tree.entries()].map(([t]) => t)).toEqual([path.posix.normalize(target)]);
      }),
      { numRuns: 2000 },
    );
  });
});
