import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../e2e/helpers/index.js';
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

describe('global flags before the command, as docker takes them', () => {
  const tmp = useTempDirs('strata-global-');

  it('--root DIR and --root=DIR select the store for the command', async () => {
    const root = await tmp();
    const env = { STRATA_ROOT: join(root, 'not-this-one') };
    const r = await strata(['--root', root, 'root'], { env });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toBe(root);
    expect((await strata([`--root=${root}`, 'root'], { env })).stdout.trim()).toBe(root);
    const images = await strata(['--root', root, 'images'], { env });
    expect(images).toMatchObject({ code: 0, stderr: '' });
    expect(images.stdout).toMatch(/^REPOSITORY/);
  });

  it('takes a relative --root from the working directory, and a --root after the command wins', async () => {
    const cwd = await tmp();
    expect((await strata(['--root', 'store', 'root'], { cwd })).stdout.trim()).toBe(join(cwd, 'store'));
    const r = await strata(['--root', 'a', 'root', '--root', 'b'], { cwd });
    expect(r.stdout.trim()).toBe(join(cwd, 'b'));
  });

  it('is ignored by commands without a store', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY a /a\n');
    const r = await strata(['--root', dir, 'parse', dir]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('takes --help and --version among them; an unknown one or a --root without a value is a usage error', async () => {
    const root = await tmp();
    expect(await strata(['--root', root, '--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^usage: strata/),
    });
    expect((await strata(['--root', root, '--version'])).stdout).toBe('strata 0.1.0\n');
    const bogus = await strata(['--bogus', 'images']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^strata: unknown flag: --bogus\n/);
    for (const argv of [['--root'], ['--root='], ['--root', '']]) {
      const r = await strata(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^strata: flag needs an argument: --root\n/);
    }
    // A --root alone names no command: usage, as `strata` alone.
    expect(await strata(['--root', root])).toMatchObject({
      code: 2,
      stdout: expect.stringMatching(/^usage:/),
    });
  });
});
