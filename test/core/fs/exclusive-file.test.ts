/**
 * replaceFile as the attack on it: a symlink planted at the old guessable temp name or at
 * the target itself is never written through, the target is replaced in one rename, and a
 * failure leaves no temp file and the old target intact.
 */
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempName, replaceFile, replaceFileWith, tempNameIn } from '../../../core/fs/exclusive-file.js';
import { InvalidInputError } from '../../../core/oci/errors.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';

const tmp = useTempDirs('strata-exclusive-');

/** A place with a victim file outside the output directory. */
async function scene(): Promise<{ out: string; victim: string }> {
  const base = await tmp();
  await mkdir(join(base, 'out'));
  const victim = join(base, 'victim');
  await writeFile(victim, 'precious\n');
  return { out: join(base, 'out'), victim };
}

describe('replaceFile', () => {
  it('writes the target and leaves no temp file', async () => {
    const { out } = await scene();
    await replaceFileWith(join(out, 'f.tar'), 'new\n');
    expect(await readFile(join(out, 'f.tar'), 'utf8')).toBe('new\n');
    expect(await readdir(out)).toEqual(['f.tar']);
  });

  it('does not follow a symlink planted at the old predictable temp name', async () => {
    const { out, victim } = await scene();
    const target = join(out, 'f.tar');
    // What the pre-fix code opened: `${target}.tmp-${pid}`; an attacker plants it in advance.
    await symlink(victim, `${target}.tmp-${process.pid}`);
    await replaceFileWith(target, 'new\n');
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect(await readFile(target, 'utf8')).toBe('new\n');
  });

  it('replaces a symlink at the target itself instead of writing through it', async () => {
    const { out, victim } = await scene();
    const target = join(out, 'f.tar');
    await symlink(victim, target);
    await replaceFileWith(target, 'new\n');
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect((await lstat(target)).isFile()).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('new\n');
  });

  it('temp names are unpredictable and marked as temp', () => {
    const a = tempNameIn('/d');
    const b = tempNameIn('/d');
    expect(a).not.toBe(b);
    expect(isTempName(a)).toBe(true);
    expect(a.startsWith('/d/.strata-tmp-')).toBe(true);
  });

  it('replaces atomically: the old content stays until the new one is complete', async () => {
    const { out } = await scene();
    const target = join(out, 'f.tar');
    await writeFile(target, 'old\n');
    await replaceFile(target, async (fh) => {
      await fh.write('half');
      // Mid-write, readers still see the old file.
      expect(await readFile(target, 'utf8')).toBe('old\n');
      await fh.write(' and the rest\n');
    });
    expect(await readFile(target, 'utf8')).toBe('half and the rest\n');
  });

  it('a failure removes the temp file and keeps the old target', async () => {
    const { out } = await scene();
    const target = join(out, 'f.tar');
    await writeFile(target, 'old\n');
    await expect(
      replaceFile(target, async (fh) => {
        await fh.write('partial');
        throw new Error('export failed');
      }),
    ).rejects.toThrow('export failed');
    expect(await readdir(out)).toEqual(['f.tar']);
    expect(await readFile(target, 'utf8')).toBe('old\n');
  });

  it('a stream made on the handle may close it', async () => {
    const { out } = await scene();
    const target = join(out, 'f.tar');
    await replaceFile(target, async (fh) => {
      const s = fh.createWriteStream();
      s.end('streamed\n');
      await new Promise<void>((r) => s.on('close', () => r()));
    });
    expect(await readFile(target, 'utf8')).toBe('streamed\n');
  });

  it('a directory at the target is a clear input error, and nothing is left behind', async () => {
    const { out } = await scene();
    await mkdir(join(out, 'd'));
    await writeFile(join(out, 'd', 'keep'), 'k');
    const err = await replaceFileWith(join(out, 'd'), 'x').catch((e) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toMatch(/directory is in the way/);
    expect((await readdir(out)).sort()).toEqual(['d']);
    expect(await readdir(join(out, 'd'))).toEqual(['keep']);
  });

  it('a missing directory is a clear input error', async () => {
    const { out } = await scene();
    const err = await replaceFileWith(join(out, 'nope', 'f.tar'), 'x').catch((e) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toMatch(/does not exist/);
  });

  it('a symlink at the target is replaced even when it points at a directory', async () => {
    const { out } = await scene();
    await mkdir(join(out, 'realdir'));
    await symlink('realdir', join(out, 'link'));
    await replaceFileWith(join(out, 'link'), 'x');
    expect((await lstat(join(out, 'link'))).isFile()).toBe(true);
    expect(await readdir(join(out, 'realdir'))).toEqual([]);
    await expect(readlink(join(out, 'link'))).rejects.toThrow();
  });
});
