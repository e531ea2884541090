import { describe, expect, test } from 'vitest';
import { parseArgs } from '../../cmd/args.js';

const SPEC = {
  file: { type: 'string', short: 'f' },
  tag: { type: 'string', short: 't', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  all: { type: 'boolean', short: 'a' },
  target: { type: 'string' },
} as const;

describe('parseArgs', () => {
  test('long, short, repeated, booleans and positionals', () => {
    const r = parseArgs(
      ['-f', 'Df', '--tag=a', '-t', 'b', '--target', 'x', '-qa', 'ctx', '-tc'],
      SPEC,
      'test',
    );
    expect(r).toEqual({
      flags: { file: 'Df', tag: ['a', 'b', 'c'], target: 'x', quiet: true, all: true },
      positionals: ['ctx'],
    });
  });

  test('--flag=value keeps everything after the first =, -f=value and -fvalue work', () => {
    expect(parseArgs(['--target=a=b', '-f=x'], SPEC, 't').flags).toEqual({ target: 'a=b', file: 'x' });
    expect(parseArgs(['-fDockerfile.dev'], SPEC, 't').flags).toEqual({ file: 'Dockerfile.dev' });
  });

  test('boolean values and -- ending flags', () => {
    expect(parseArgs(['--quiet=false', '--', '-f', 'x'], SPEC, 't')).toEqual({
      flags: { quiet: false },
      positionals: ['-f', 'x'],
    });
  });

  test('a lone - is a positional (stdin by convention)', () => {
    expect(parseArgs(['-'], SPEC, 't').positionals).toEqual(['-']);
  });

  test.each([
    [['--nope'], 't: unknown flag --nope'],
    [['-z'], 't: unknown flag -z'],
    [['--target'], 't: --target needs a value'],
    [['-f'], 't: -f needs a value'],
    [['--quiet=maybe'], 't: --quiet takes true or false'],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseArgs(argv, SPEC, 't')).toThrow(message);
    try {
      parseArgs(argv, SPEC, 't');
    } catch (err) {
      expect((err as { code: string }).code).toBe('E_INVALID');
    }
  });
});
