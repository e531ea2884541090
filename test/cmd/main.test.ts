import { describe, expect, it } from 'vitest';
import { strata } from '../helpers/cli.js';

describe('strata CLI entry', () => {
  it('lists every command, and every command answers --help with its flags', async () => {
    const top = await strata(['--help']);
    expect(top.code).toBe(0);
    const names = [...top.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]);
    expect(names).toContain('build');
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) {
      const r = await strata([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(new RegExp(`^usage: strata ${name} `));
      expect(r.stdout, name).not.toContain('[options]');
    }
  });

  it('an unknown command or flag is a usage error with exit code 2', async () => {
    const unknown = await strata(['bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('strata: unknown command "bogus"');
    const flag = await strata(['images', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^strata: images: Unknown option '--bogus'/);
  });

  it('--version prints the version', async () => {
    expect((await strata(['--version'])).stdout).toBe('strata 0.1.0\n');
  });
});
