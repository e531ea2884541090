/**
 * Early cutoff (issue 14, beyond BuildKit, opt-in): a step that reran and left the same
 * layers lets the steps after it be reused. Without the flag strata stays BuildKit's and
 * says what the flag would have saved; with it, the steps are reused; and a property test
 * over random edits checks it never reuses a step whose input differs (the image is always
 * the one a --no-cache build makes).
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { stepOutcomes, strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();

let root: string;
beforeAll(async () => {
  requireRoot();
  root = await tmp();
  await importBusybox(root);
});

async function build(ctx: string, flags: string[] = [], store = root) {
  const r = await strataOk(['build', '--root', store, '--progress', 'plain', ...flags, ctx]);
  return { steps: stepOutcomes(r.stderr), out: r.stderr };
}

describe('early cutoff', () => {
  it('a step that reran without changing the filesystem: off, it says what it would save; on, it reuses', async () => {
    const ctx = await tmp();
    const df = (v: string) =>
      `FROM busybox\nRUN echo "release notes: ${v}"\nCOPY app.txt /app.txt\nRUN sleep 1 && cp /app.txt /built.txt\n`;
    await writeFile(join(ctx, 'app.txt'), 'app\n');
    await writeFile(join(ctx, 'Dockerfile'), df('v1'));
    await build(ctx);

    // Off (the default): BuildKit's cascade, and the explanation of what was lost.
    await writeFile(join(ctx, 'Dockerfile'), df('v2'));
    const off = await build(ctx);
    expect(off.steps.map((s) => s.cached)).toEqual([false, false, false]);
    expect(off.steps[1].reason).toMatch(/with --early-cutoff it would be reused: the same layers below/);
    expect(off.steps[2].reason).toMatch(/its run took [1-9]\.\ds/);
    const saved = /early cutoff: 2 step\(s\) reran .* \(about (\d+\.\d)s of run time/.exec(off.out);
    expect(saved).not.toBeNull();
    console.log(`early cutoff would have saved ${saved?.[1]}s in this build`);

    // On: the echo reruns, the COPY and the slow RUN are reused.
    await writeFile(join(ctx, 'Dockerfile'), df('v3'));
    const on = await build(ctx, ['--early-cutoff']);
    expect(on.steps.map((s) => s.cached)).toEqual([false, true, true]);
    expect(on.steps[1].reason).toMatch(/^early cutoff: /);
    const out = await tmp();
    await strataOk(['build', '--root', root, '--early-cutoff', '--output', `type=local,dest=${out}`, ctx]);
    expect(readFileSync(join(out, 'built.txt'), 'utf8')).toBe('app\n');
  });

  it('never reuses a step whose input differs: random edits, always the --no-cache image', async () => {
    // A seeded generator: a failure prints its seed and the Dockerfile that broke.
    let seed = Number(process.env.STRATA_CUTOFF_SEED ?? 20261207);
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const contents = ['a', 'b', 'c'];
    const ctx = await tmp();
    const cutoffStore = await tmp();
    const refStore = await tmp();
    await importBusybox(cutoffStore);
    await importBusybox(refStore);
    // Steps whose layers are reproducible (fixed times), so reruns can leave the same layers.
    const vocabulary = [
      (k: number) => `COPY f${k % 3} /d/f${k % 3}`,
      (k: number) => `RUN echo "note ${k % 2}"`,
      (k: number) => `ENV V=${k % 2}`,
      (k: number) =>
        `RUN mkdir -p /d && (cat /d/f${k % 3} 2>/dev/null || echo none) > /d/c${k % 2} && touch -t 200001010000 /d/c${k % 2} /d`,
      (_k: number) => `RUN echo "$V" > /v.txt && touch -t 200001010000 /v.txt`,
    ];
    const steps = Array.from({ length: 5 }, () => [rand(vocabulary.length), rand(6)]);
    let cutoffs = 0;
    for (let i = 0; i < 10; i++) {
      // One random edit: a file's content or one step's variant.
      if (rand(2) === 0) steps[rand(steps.length)][1] = rand(6);
      for (let f = 0; f < 3; f++) await writeFile(join(ctx, `f${f}`), contents[rand(3)]);
      const dockerfile = `FROM busybox\nRUN mkdir -p /d && touch -t 200001010000 /d\n${steps
        .map(([v, k]) => vocabulary[v](k))
        .join('\n')}\n`;
      await writeFile(join(ctx, 'Dockerfile'), dockerfile);
      const a = await tmp();
      const b = await tmp();
      const withCutoff = await strataOk([
        'build',
        '--root',
        cutoffStore,
        '--progress',
        'plain',
        '--early-cutoff',
        '--output',
        `type=local,dest=${a}`,
        ctx,
      ]);
      cutoffs += stepOutcomes(withCutoff.stderr).filter((s) => s.reason.startsWith('early cutoff:')).length;
      await strataOk(['build', '--root', refStore, '--no-cache', '--output', `type=local,dest=${b}`, ctx]);
      expect(tree(a), `seed ${seed}, Dockerfile:\n${dockerfile}`).toEqual(tree(b));
    }
    console.log(
      `early-cutoff property: 10 random edits, ${cutoffs} steps reused by content, every image as --no-cache`,
    );
  }, 300_000);
});

/** Path, type, mode, owner and content (or link target) of every entry under `dir`. */
function tree(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(dir, r));
    const what = st.isDirectory()
      ? 'dir'
      : st.isSymbolicLink()
        ? `link ${readlinkSync(join(dir, r))}`
        : st.isFile()
          ? `file ${readFileSync(join(dir, r)).toString('base64')}`
          : 'other';
    out.push(`${r} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${what}`);
    if (st.isDirectory()) out.push(...tree(dir, r));
  }
  return out;
}
