import { describe, expect, it } from 'vitest';
import { subordinateRange, v8Flags } from '../../cmd/rootless-exec.js';

describe('subordinateRange', () => {
  const text = 'alice:100000:65536\n1002:300000:1000\nbob:bad:1\n';
  it('finds a user by name or by numeric id', () => {
    expect(subordinateRange(text, 'alice', 1001)).toEqual({ start: 100000, count: 65536 });
    expect(subordinateRange(text, 'carol', 1002)).toEqual({ start: 300000, count: 1000 });
  });
  it('ignores malformed lines and absent users', () => {
    expect(subordinateRange(text, 'bob', 1003)).toBeUndefined();
    expect(subordinateRange('', 'alice', 1001)).toBeUndefined();
  });
});

describe('v8Flags', () => {
  it("passes on Node's flags but not the startup snapshot, which a main.js child does not start from", () => {
    expect(v8Flags(['--max-semi-space-size=4', '--snapshot-blob', '/d/snapshot/strata.blob'])).toEqual([
      '--max-semi-space-size=4',
    ]);
    expect(v8Flags(['--snapshot-blob=/x.blob', '--max-old-space-size=100', '--trace-gc'])).toEqual([
      '--max-old-space-size=100',
      '--trace-gc',
    ]);
    expect(v8Flags([])).toEqual([]);
  });
});
