/**
 * The two-platform row: samples/cross-compile built for linux/amd64 and linux/arm64 (the
 * arm64 RUN under QEMU) by one `strata build --platform linux/amd64,linux/arm64`, against the
 * same two platforms built one after the other (two commands, one store). Docker 20.10's
 * BuildKit without buildx builds one platform per command and its image store holds one
 * platform per tag, so the one-after-the-other strata run is the comparable baseline here.
 * Phases: cold (a fresh copy of the base store) and change (one edit to the compiled source).
 */
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { measure } from './measure.mjs';
import { mustRun, REPO, STRATA_BIN } from './strata-cli.mjs';

const BINFMT = '/proc/sys/fs/binfmt_misc/qemu-aarch64';

/** Why the row cannot run here, or undefined. */
export function twoPlatformsUnavailable() {
  if (!existsSync(BINFMT)) return `no QEMU aarch64 handler in binfmt_misc (scripts/setup.sh --qemu)`;
  const text = readFileSync(BINFMT, 'utf8');
  if (!/^enabled/.test(text) || !/^flags: .*F/m.test(text))
    return `${BINFMT} is disabled or lacks the F flag`;
  return undefined;
}

/**
 * @param {{ work: string, runs: number, baseRoot: string, say: (s: string) => void }} o
 * @returns {Promise<{ one: Record<string, object[]>, sequential: Record<string, object[]> }>}
 */
export async function benchTwoPlatforms(o) {
  // The arm64 busybox beside the amd64 one the bench made (downloaded once, offline after).
  await mustRun(
    'bash',
    [join(REPO, 'samples/base/make-busybox.sh'), '--root', o.baseRoot, '--arch', 'arm64'],
    {
      tee: true,
    },
  );
  const ctx = join(o.work, 'ctx', 'two-platforms');
  await rm(ctx, { recursive: true, force: true });
  await mkdir(join(o.work, 'ctx'), { recursive: true });
  await cp(join(REPO, 'samples/cross-compile'), ctx, { recursive: true });
  const root = join(o.work, 'strata', 'two-platforms');
  const fresh = async () => {
    await rm(root, { recursive: true, force: true });
    await mkdir(join(o.work, 'strata'), { recursive: true });
    await mustRun('cp', ['-a', o.baseRoot, root]);
  };
  const build = (platforms) =>
    measure(STRATA_BIN, [
      'build',
      '--root',
      root,
      '--progress',
      'plain',
      '--platform',
      platforms,
      '-t',
      'two:1',
      ctx,
    ]);
  const strategies = {
    one: async () => [await build('linux/amd64,linux/arm64')],
    sequential: async () => [await build('linux/amd64'), await build('linux/arm64')],
  };
  const out = { one: {}, sequential: {} };
  let edit = 0;
  for (const [id, run] of Object.entries(strategies)) {
    out[id] = { cold: [], change: [] };
    for (let i = 0; i < o.runs; i++) {
      await fresh();
      out[id].cold.push(sum(await run()));
    }
    for (let i = 0; i < o.runs; i++) {
      await writeFile(join(ctx, 'hello.sh.in'), `#!/bin/sh\necho "hello from @ARCH@, edit ${++edit}"\n`);
      out[id].change.push(sum(await run()));
    }
  }
  await rm(root, { recursive: true, force: true });
  await rm(ctx, { recursive: true, force: true });
  return out;
}

/** Several commands as one measurement: times add up, the peak RSS is the largest. */
function sum(ms) {
  return {
    ms: ms.reduce((t, m) => t + m.ms, 0),
    rssMb: Math.max(...ms.map((m) => m.rssMb)),
    code: ms.find((m) => m.code !== 0)?.code ?? 0,
  };
}
