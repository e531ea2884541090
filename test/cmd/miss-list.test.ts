/**
 * A COPY miss writes its file list into the store while it is planned, compared on the way
 * with the last run's list (core/plan/miss-list.ts). The explanation names what changed,
 * from one source or several (whose rows are not in one path order: compared whole), and a
 * list whose step never runs (a dry run, or planning that fails later) is not left behind
 * in ingest/. FROM scratch and COPY only: no runtime needed.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { strata, strataOk } from '../helpers/cli.js';

async function context(dockerfile: string): Promise<{ root: string; ctx: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-miss-list-'));
  const ctx = join(dir, 'ctx');
  await mkdir(join(ctx, 'src/sub'), { recursive: true });
  // Enough files for a list of several 64 KiB pieces.
  for (let i = 0; i < 1200; i++)
    await writeFile(join(ctx, 'src/sub', `f${String(i).padStart(4, '0')}`), `${i}`);
  await writeFile(join(ctx, 'src/a.txt'), 'a');
  await writeFile(join(ctx, 'z.txt'), 'z');
  await mkdir(join(ctx, 'other'));
  await writeFile(join(ctx, 'other/o.txt'), 'o');
  await writeFile(join(ctx, 'Dockerfile'), dockerfile);
  return { root: join(dir, 'root'), ctx };
}

describe('a COPY miss file list', () => {
  it('is compared as it is written, and names the change from one source and from several', async () => {
    for (const dockerfile of [
      'FROM scratch\nCOPY src /src\nCOPY other /o\n',
      // Two sources: the list's rows are not in one path order (z.txt, then a.txt, sub/...).
      'FROM scratch\nCOPY z.txt src /both/\nCOPY other /o\n',
    ]) {
      const { root, ctx } = await context(dockerfile);
      await strataOk(['build', '--root', root, '-q', ctx]);
      await writeFile(join(ctx, 'src/sub/f0600'), 'changed');
      await rm(join(ctx, 'src/sub/f0007'));
      await writeFile(join(ctx, 'src/sub/f0007x'), 'new');
      const reason = 'COPY/ADD sources changed: added sub/f0007x, changed sub/f0600, removed sub/f0007';
      const dry = await strataOk(['build', '--root', root, '--dry-run', ctx]);
      expect(dry.stdout + dry.stderr).toContain(reason);
      // The dry run staged the lists of its misses and discarded them.
      expect(await readdir(join(root, 'ingest'))).toEqual([]);
      await strataOk(['build', '--root', root, '-q', ctx]);
      const explained = (await strataOk(['explain', '--root', root])).stdout;
      expect(explained.split('MISS [2/2]')[0]).toContain(reason);
      expect(explained).toContain('- changed sub/f0600 (');
      expect(await readdir(join(root, 'ingest'))).toEqual([]);
    }
  });

  it('is not left behind when planning fails after it', async () => {
    const { root, ctx } = await context('FROM scratch\nCOPY src /src\nCOPY other /o\n');
    await strataOk(['build', '--root', root, '-q', ctx]);
    await writeFile(join(ctx, 'src/a.txt'), 'changed');
    await rm(join(ctx, 'other'), { recursive: true });
    const r = await strata(['build', '--root', root, ctx]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/other.*not found|not found.*other/);
    expect(await readdir(join(root, 'ingest'))).toEqual([]);
  });
});
