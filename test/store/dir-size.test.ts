/** dirSize (`strata du`): apparent size through core/fs's walker, links never followed. */
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { dirSize } from '../../store/dir-size.js';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-dir-size-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

it('counts files and symlinks once, hard links once, and never follows a link', async () => {
  const root = path.join(tmp, 'root');
  mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
  writeFileSync(path.join(root, 'a', 'b', 'f'), Buffer.alloc(1000));
  linkSync(path.join(root, 'a', 'b', 'f'), path.join(root, 'hard'));
  writeFileSync(path.join(root, 'g'), Buffer.alloc(24));
  mkdirSync(path.join(tmp, 'outside'));
  writeFileSync(path.join(tmp, 'outside', 'big'), Buffer.alloc(100_000));
  symlinkSync(path.join(tmp, 'outside'), path.join(root, 'link')); // a symlink's size: its target's length
  expect(await dirSize(root)).toBe(1000 + 24 + path.join(tmp, 'outside').length);
});

it('gives 0 for a missing directory', async () => {
  expect(await dirSize(path.join(tmp, 'missing'))).toBe(0);
});
