/**
 * Through real builds: a COPY that misses because files changed only in mode names the mode
 * ("mode 0644 -> 0755 on build.sh"), also when the earlier build took the file's digest from
 * the stat cache (the fingerprint travels with it), and many such files read as one line.
 */
import { appendFile, chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { strataOk } from '../helpers/cli.js';
import { useTempDirs } from './helpers/index.js';

const tempDir = useTempDirs('strata-explain-attrs-');
let root: string;
let ctx: string;

async function missReason(): Promise<string> {
  const out = await strataOk(['build', '--root', root, '--progress', 'plain', ctx]);
  return /CACHE MISS: (.*)/.exec(out.stdout + out.stderr)?.[1] ?? 'no miss';
}

beforeAll(async () => {
  root = await tempDir();
  ctx = await tempDir();
  await mkdir(join(ctx, 'bin'));
  await writeFile(join(ctx, 'build.sh'), '#!/bin/sh\necho build\n', { mode: 0o644 });
  await writeFile(join(ctx, 'notes.txt'), 'a\n');
  for (let i = 0; i < 6; i++) await writeFile(join(ctx, `bin/tool${i}`), `tool ${i}\n`, { mode: 0o644 });
  await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /app\n');
  await chmod(join(ctx, 'build.sh'), 0o644);
});

describe('COPY miss reasons name the attribute', () => {
  it('a chmod-only change, after a build that read build.sh from the stat cache', async () => {
    expect(await missReason()).toBe('no earlier build of this step');
    await appendFile(join(ctx, 'notes.txt'), 'b\n');
    expect(await missReason()).toBe('COPY/ADD sources changed: changed notes.txt');
    await chmod(join(ctx, 'build.sh'), 0o755);
    expect(await missReason()).toBe('COPY/ADD sources changed: mode 0644 -> 0755 on build.sh');
  });

  it('six scripts made executable read as one line, with content unchanged', async () => {
    for (let i = 0; i < 6; i++) await chmod(join(ctx, `bin/tool${i}`), 0o755);
    expect(await missReason()).toBe(
      'COPY/ADD sources changed: mode 0644 -> 0755 on 6 files (bin/tool0, bin/tool1, bin/tool2, ...); content unchanged',
    );
  });
});
