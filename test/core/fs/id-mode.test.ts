import { describe, expect, it } from 'vitest';
import { describeRanges, idMapped, parseIdMap } from '../../../core/fs/id-mode.js';

describe('id maps', () => {
  it('parses /proc/self/uid_map lines and tells mapped ids', () => {
    const m = parseIdMap('         0       1001          1\n         1     100000      65536\n');
    expect(m).toEqual([
      { inside: 0, outside: 1001, count: 1 },
      { inside: 1, outside: 100000, count: 65536 },
    ]);
    expect(idMapped(m, 0)).toBe(true);
    expect(idMapped(m, 65536)).toBe(true);
    expect(idMapped(m, 65537)).toBe(false);
    expect(describeRanges(m)).toBe('0, 1-65536');
  });

  it('a single-id map owns only 0', () => {
    const m = parseIdMap('0 1001 1\n');
    expect(idMapped(m, 0)).toBe(true);
    expect(idMapped(m, 1000)).toBe(false);
  });
});
