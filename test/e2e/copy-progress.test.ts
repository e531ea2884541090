/**
 * A big COPY shows byte progress on its step (a status of the vertex, as BuildKit shows a
 * context transfer); a small one does not. An archive output shows the bytes it wrote.
 */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COPY_PROGRESS_MIN_BYTES } from '../../core/exec/exec-copy.js';
import { strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();
const BIG = 40 << 20; // 41,943,040 bytes: over the threshold

describe('COPY byte progress', () => {
  let ctx: string;
  beforeAll(async () => {
    requireRoot();
    expect(BIG).toBeGreaterThan(COPY_PROGRESS_MIN_BYTES);
    ctx = await tmp();
    await writeFile(join(ctx, 'big.bin'), Buffer.alloc(BIG, 7));
    await writeFile(join(ctx, 'small.txt'), 'small\n');
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY small.txt /\nCOPY big.bin /\n');
  });

  it('plain: the big COPY ends with its bytes done; the small one has no byte line', async () => {
    const r = await strataOk(['build', '--root', await tmp(), '--progress', 'plain', ctx]);
    const lines = r.stderr.split('\n').filter((l) => / copying /.test(l));
    expect(lines).toEqual([expect.stringMatching(/^#\d+ copying 41\.9MB \/ 41\.9MB done$/)]);
    const big = lines[0].split(' ')[0];
    expect(r.stderr).toContain(`${big} [2/2] COPY big.bin /`);
  });

  it('rawjson: statuses of the step count up to the file size, the last one completed', async () => {
    const r = await strataOk(['build', '--root', await tmp(), '--progress', 'rawjson', ctx]);
    const statuses = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => (JSON.parse(l).statuses ?? []) as { id: string; current: number; total: number }[])
      .filter((s) => s.id === 'copy');
    expect(statuses.length).toBeGreaterThanOrEqual(1);
    for (const s of statuses) expect(s.total).toBe(BIG);
    const last = statuses[statuses.length - 1] as { current: number; completed?: string };
    expect(last.current).toBe(BIG);
    expect(last.completed).toBeDefined();
  });

  it('an archive output ends with the bytes written to the file', async () => {
    const out = join(await tmp(), 'app.tar');
    const r = await strataOk([
      'build',
      '--root',
      await tmp(),
      '--progress',
      'rawjson',
      '--output',
      `type=docker,dest=${out}`,
      ctx,
    ]);
    const statuses = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => (JSON.parse(l).statuses ?? []) as { id: string; current: number; total?: number }[])
      .filter((s) => s.id === 'write');
    const last = statuses[statuses.length - 1];
    const size = (await stat(out)).size;
    expect(last).toMatchObject({ current: size, total: size });
    expect(size).toBeGreaterThan(BIG);
  });
});
