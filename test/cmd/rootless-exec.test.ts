import { describe, expect, it } from 'vitest';
import { subordinateRange } from '../../cmd/rootless-exec.js';

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
