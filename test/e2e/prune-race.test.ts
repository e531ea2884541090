/**
 * `strata prune` while a build runs, as a user racing them would: prune (and prune --all)
 * must end with a clear result, never "internal error", and must not pull a layer or a cache
 * mount out from under the live build, which must still succeed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { strata } from '../helpers/cli.js';
import { startCli } from '../reliability/helpers/cli-process.js';
import { requireRoot, requireTool, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs('strata-prune-race-');
let root: string;
let ctx: string;

beforeAll(async () => {
  requireRoot();
  requireTool('runc');
  root = await tmp();
  ctx = await tmp();
  await importBusybox(root);
  await writeFile(join(ctx, 'a.txt'), 'a\n');
  await writeFile(
    join(ctx, 'Dockerfile'),
    [
      'FROM busybox',
      'COPY a.txt /a.txt',
      'RUN --mount=type=cache,target=/cache echo one > /cache/x && echo one > /one',
      'RUN --mount=type=cache,target=/cache for i in $(seq 1 300); do mkdir -p /cache/d$i && echo $i > /cache/d$i/f && rm -rf /cache/d$((i-1)); done; sleep 2; cat /cache/x > /two',
      'RUN cat /one /two /a.txt > /three',
      '',
    ].join('\n'),
  );
}, 60_000);

describe('prune racing a live build', () => {
  for (const flags of [[], ['--all'], ['--filter', 'type=exec.cachemount']]) {
    it(`prune ${flags.join(' ')} gives a clear result and the build still succeeds`, async () => {
      const build = startCli(['build', '--root', root, '--no-cache', '--progress', 'plain', ctx]);
      // Let the build get into the RUN step that writes into its cache mount.
      await new Promise((r) => setTimeout(r, 1200));
      const pruned = await strata(['prune', '--root', root, ...flags]);
      expect(pruned.stderr).not.toMatch(/internal error/);
      expect(pruned.code, pruned.stderr).toBe(0);
      // Before the fix: ENOTEMPTY from rm under the live bind mount, or the step's file gone.
      if (flags.length > 0) expect(pruned.stderr).toMatch(/kept 1 cache mounts a running build is using/);
      const built = await build.done;
      expect(built.code, built.stderr).toBe(0);
    }, 60_000);
  }

  it('once the build is over, the cache mount is no longer held', async () => {
    const pruned = await strata(['prune', '--root', root, '--filter', 'type=exec.cachemount']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/, 1 cache mounts,/);
    expect(pruned.stderr).toBe('');
  });
});
