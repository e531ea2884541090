/**
 * A COPY --from miss names the files that changed in the stage it copies from, as a COPY
 * from the context does: the list is built from the result's checksum only when the step
 * misses, and compared with the list its last record kept. FROM scratch and COPY only: no
 * runtime needed.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { strataOk } from '../helpers/cli.js';

describe('COPY --from miss', () => {
  it('names the changed, added and removed files of the stage it reads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-copy-from-'));
    const root = join(dir, 'root');
    const ctx = join(dir, 'ctx');
    await mkdir(join(ctx, 'src/sub'), { recursive: true });
    for (const f of ['a.txt', 'b.txt', 'sub/c.txt', 'gone.txt']) await writeFile(join(ctx, 'src', f), f);
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM scratch AS build\nCOPY src /out\nFROM scratch\nCOPY --from=build /out /app\n',
    );
    await strataOk(['build', '--root', root, '-q', ctx]);
    await writeFile(join(ctx, 'src/sub/c.txt'), 'changed');
    await writeFile(join(ctx, 'src/new.txt'), 'new');
    await rm(join(ctx, 'src/gone.txt'));
    await strataOk(['build', '--root', root, '-q', ctx]);
    const explained = (await strataOk(['explain', '--root', root])).stdout;
    const [, fromStep] = explained.split(/MISS \[stage-1 1\/1\] COPY --from=build \/out \/app/);
    expect(fromStep).toContain(
      'COPY/ADD sources changed: added new.txt, changed sub/c.txt, removed gone.txt',
    );
    expect(fromStep).toContain('- changed sub/c.txt (');
  });
});
