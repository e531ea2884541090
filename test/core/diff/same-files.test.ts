import { describe, expect, it } from 'vitest';
import { sameFiles } from '../../../core/diff/same-files.js';

describe('sameFiles', () => {
  it('indexes tar names and image paths alike by directory, the root as ""', () => {
    for (const paths of [
      ['big', 'a/f00', 'a/f01', 'a-b/f00', 'a/sub/x'],
      ['/big', '/a/f00', '/a/f01', '/a-b/f00', '/a/sub/x'],
    ]) {
      const same = sameFiles(paths);
      expect([...same.keys()].sort()).toEqual(['', 'a-b/', 'a/', 'a/sub/']);
      expect([...(same.get('a/') ?? [])]).toEqual(['f00', 'f01']);
      expect(same.get('')?.has('big')).toBe(true);
      expect(same.get('a-b/')?.has('f01')).toBe(false);
      expect(same.get('b/')).toBeUndefined();
    }
  });
});
