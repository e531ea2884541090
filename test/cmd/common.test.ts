import { describe, expect, it } from 'vitest';
import { parseBuildArgs, parseFlags } from '../../cmd/common.js';

describe('cmd/common', () => {
  it('parses --build-arg NAME=VALUE and NAME from the environment, as docker build does', () => {
    expect(parseBuildArgs(['A=1', 'B=x=y', 'FROM_ENV', 'UNSET'], { FROM_ENV: 'e' })).toEqual({
      A: '1',
      B: 'x=y',
      FROM_ENV: 'e',
    });
    expect(parseBuildArgs(['EMPTY='], {})).toEqual({ EMPTY: '' });
  });
  it('rejects a bad --build-arg name with a usage error', () => {
    expect(() => parseBuildArgs(['1BAD=x'], {})).toThrow(/--build-arg "1BAD=x": expected NAME=VALUE/);
    expect(() => parseBuildArgs(['=x'], {})).toThrow(/expected NAME=VALUE/);
  });
  it('maps unknown flags to E_INVALID, repeated flags to lists', () => {
    const { values, positionals } = parseFlags('x', ['-t', 'a', '--tag=b', 'ctx'], {
      tag: { type: 'string', short: 't', multiple: true },
    });
    expect(values.tag).toEqual(['a', 'b']);
    expect(positionals).toEqual(['ctx']);
    try {
      parseFlags('x', ['--nope'], {});
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_INVALID');
      expect((e as Error).message).toMatch(/^x: Unknown option '--nope'/);
    }
  });
});
