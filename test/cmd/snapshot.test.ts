/**
 * The `strata` command as installed starts Node from the startup snapshot npm run build made
 * (cmd/snapshot-main.ts). What it builds must be what `node dist/cmd/main.js` builds: the
 * same image IDs cold, after a no-op and after a change, with the modules the snapshot left
 * out (the xattr addon, child processes for RUN) loaded from disk on use. A no-op rebuild
 * writes nothing into the store.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { CLI, requireBuiltCli } from '../reliability/helpers/cli-process.js';

const run = promisify(execFile);
const LAUNCHER = resolve('dist/cmd/strata');
const BLOB = resolve('dist/snapshot/strata.blob');
let dir: string;
let ctx: string;

beforeAll(async () => {
  requireBuiltCli();
  if (!existsSync(BLOB)) throw new Error(`${BLOB} is missing: npm run build makes it`);
  dir = await mkdtemp(join(tmpdir(), 'strata-snapshot-'));
  ctx = join(dir, 'ctx');
  await mkdir(join(ctx, 'app'), { recursive: true });
  await writeFile(join(ctx, 'app/a.txt'), 'a\n');
  await writeFile(join(ctx, 'app/b.txt'), 'b\n');
  await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox:latest\nCOPY app /app\nENV X=1\n');
  await writeFile(
    join(ctx, 'Dockerfile.run'),
    'FROM busybox:latest\nCOPY app /app\nRUN cat /app/a.txt /app/b.txt > /both\n',
  );
  for (const s of ['snap', 'plain']) await importBusybox(join(dir, s));
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** One build; the image ID and the timings line (which says whether the snapshot was used). */
async function build(
  how: 'snap' | 'plain',
  more: string[] = [],
): Promise<{ id: string; timings: string; log: string }> {
  const args = ['build', '--root', join(dir, how), '--progress', 'plain', '-q', ...more, ctx];
  // SOURCE_DATE_EPOCH: two stores, two runs, one image ID when the builds did the same.
  const env = { ...process.env, STRATA_TIMINGS: '1', SOURCE_DATE_EPOCH: '0' };
  const r =
    how === 'snap'
      ? await run(LAUNCHER, args, { env })
      : await run(process.execPath, [CLI, ...args], { env: { ...env, STRATA_NO_SNAPSHOT: '1' } });
  return {
    id: r.stdout.trim(),
    timings: /strata timings: .*/.exec(r.stderr)?.[0] ?? '',
    log: r.stderr,
  };
}

/** Every path under `root` with its mtime and size: what a no-op must leave as it was. */
async function listing(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath, e.name);
    const st = await stat(p);
    out.push(`${p} ${st.mtimeMs} ${st.size}`);
  }
  return out.sort();
}

describe('strata started from its startup snapshot', () => {
  it('builds what main.js builds: cold, no-op and one change', async () => {
    const cold = await build('snap');
    expect(cold.timings).toMatch(/snapshot=1/);
    expect(cold.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const plainCold = await build('plain');
    expect(plainCold.timings).not.toMatch(/snapshot=1/);
    expect(plainCold.id).toBe(cold.id);

    const before = await listing(join(dir, 'snap'));
    const noop = await build('snap');
    expect(noop.id).toBe(cold.id);
    expect(noop.timings).toMatch(/snapshot=1/);
    // The first no-op records its all-cached report; the second writes nothing at all.
    const after1 = await listing(join(dir, 'snap'));
    expect(after1.length).toBeGreaterThanOrEqual(before.length);
    expect((await build('snap')).id).toBe(cold.id);
    expect(await listing(join(dir, 'snap'))).toEqual(after1);

    await appendFile(join(ctx, 'app/b.txt'), 'changed\n');
    const change = await build('snap');
    expect(change.id).not.toBe(cold.id);
    expect((await build('plain')).id).toBe(change.id);
  }, 120_000);

  it('runs RUN steps and writes outputs with the modules it left out (child processes, tar)', async () => {
    const out = join(dir, 'out');
    const r = await build('snap', ['-f', join(ctx, 'Dockerfile.run'), '--output', `type=local,dest=${out}`]);
    expect(r.timings).toMatch(/snapshot=1/);
    // b.txt was changed by the test before: `a\n` + `b\nchanged\n`.
    expect(await readFile(join(out, 'both'), 'utf8')).toBe('a\nb\nchanged\n');
    const tar = join(dir, 'image.tar');
    await run(LAUNCHER, ['save', '--root', join(dir, 'snap'), r.id, '-o', tar]);
    expect((await stat(tar)).size).toBeGreaterThan(1024);
  }, 120_000);

  it('answers --version and usage errors as main.js does', async () => {
    const v = await run(LAUNCHER, ['--version']);
    expect(v.stdout).toBe('strata 0.1.0\n');
    const bad = await run(LAUNCHER, ['build', '--no-such-flag', ctx]).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/build: Unknown option '--no-such-flag'/);
  });
});
