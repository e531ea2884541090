/**
 * Real builds through the CLI keep build reports to `history.maxEntries` (<root>/config.json):
 * a store built in many times holds the newest few, the last build's and the tagged images'
 * reports; `explain` still answers for those and says plainly when one was pruned; a no-op
 * build writes and lists nothing; `prune --dry-run` lists reports and `prune --all` keeps only
 * the pinned ones.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strata, strataOk } from '../helpers/cli.js';
import { requireBuiltCli, startCli } from '../reliability/helpers/cli-process.js';

let dir: string;
let root: string;
let ctx: string;
const ids: string[] = [];

const reports = async () =>
  (await readdir(join(root, 'meta'))).filter((f) => /^build-.*\.json$/.test(f)).sort();
const buildIdOf = async (file: string) =>
  JSON.parse(await readFile(join(root, 'meta', file), 'utf8')).buildId;

/** Moves every report an hour back (keeping their order), so only the policy keeps one, not the grace period. */
async function ageReports(): Promise<void> {
  for (const f of await reports()) {
    const path = join(root, 'meta', f);
    const t = new Date((await stat(path)).mtimeMs - 3_600_000);
    await utimes(path, t, t);
  }
}

const build = (v: number, flags: string[] = []) =>
  strataOk(['build', '--root', root, '-q', '--build-arg', `V=${v}`, ...flags, ctx]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-reports-'));
  root = join(dir, 'root');
  ctx = join(dir, 'ctx');
  await mkdir(root, { mode: 0o700 });
  await mkdir(ctx);
  await writeFile(join(ctx, 'a.txt'), 'a\n');
  await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nARG V\nCOPY a.txt /a.txt\nENV V=$V\n');
  await writeFile(join(root, 'config.json'), '{"history": {"maxEntries": 2}}');
  ids.push((await build(0, ['-t', 'app:keep'])).stdout.trim());
  for (let v = 1; v <= 5; v++) {
    await ageReports();
    ids.push((await build(v)).stdout.trim());
  }
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('build reports kept to history.maxEntries', () => {
  it('keeps the tagged image, the last build and the newest two; explain answers for them', async () => {
    const kept = await Promise.all((await reports()).map(buildIdOf));
    expect(kept).toHaveLength(3);
    const keep = await strataOk(['explain', '--root', root, '--json', 'app:keep']);
    const last = await strataOk(['explain', '--root', root, '--json']);
    const v4 = await strataOk(['explain', '--root', root, '--json', ids[4]]);
    expect(JSON.parse(keep.stdout).imageId).toBe(ids[0]);
    expect(JSON.parse(last.stdout).imageId).toBe(ids[5]);
    expect(JSON.parse(v4.stdout).imageId).toBe(ids[4]);
    expect(kept.sort()).toEqual(
      [
        JSON.parse(keep.stdout).buildId,
        JSON.parse(last.stdout).buildId,
        JSON.parse(v4.stdout).buildId,
      ].sort(),
    );
    for (const i of [1, 2, 3]) {
      const gone = await strata(['explain', '--root', root, ids[i]]);
      expect(gone.code).toBe(3);
      expect(gone.stderr).toMatch(
        new RegExp(
          `^strata: explain image: the build report of ${ids[i]} \\(build [0-9a-f]+\\) was pruned: `,
        ),
      );
    }
    // The other views of a kept build are whole too.
    expect((await strataOk(['layers', '--root', root, 'app:keep'])).stdout).toContain('COPY a.txt /a.txt');
  });

  it('a no-op build writes no report and touches nothing in meta/', async () => {
    // The first rebuild of V=5 says something new (every step now hits): that is a report.
    await build(5);
    const before = await readdir(join(root, 'meta'));
    const pointer = await readFile(join(root, 'meta', 'last-build.json'), 'utf8');
    expect((await build(5)).stdout.trim()).toBe(ids[5]);
    expect(await readdir(join(root, 'meta'))).toEqual(before);
    expect(await readFile(join(root, 'meta', 'last-build.json'), 'utf8')).toBe(pointer);
  });

  it('prune --dry-run lists the reports --all would remove; --all keeps only the pinned ones', async () => {
    await ageReports();
    const idOf = async (args: string[]) =>
      JSON.parse((await strataOk(['explain', '--root', root, '--json', ...args])).stdout).buildId;
    const pinned = [`build-${await idOf(['app:keep'])}.json`, `build-${await idOf([])}.json`].sort();
    const [unpinned, ...more] = (await reports()).filter((f) => !pinned.includes(f));
    expect(more).toEqual([]); // three reports: the two pinned ones and one of the newest two
    const dry = await strataOk(['prune', '--root', root, '--dry-run']);
    expect(dry.stdout).not.toContain('would remove build report'); // within maxEntries
    const old = await strataOk(['prune', '--root', root, '--dry-run', '--filter', 'until=30m']);
    expect(old.stdout.split('\n').filter((l) => l.includes('build report'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^would remove build report ${unpinned.slice(6, -5)} \\([\\d.]+kB\\): written 6\\dm ago: older than until=30m$`,
        ),
      ),
    ]);
    expect(await reports()).toHaveLength(3);
    const all = await strataOk(['prune', '--root', root, '--all']);
    expect(all.stdout).toMatch(/, 1 build reports, 1 meta caches\n/); // the context's stat cache
    expect(await reports()).toEqual(pinned);
    expect(await reports()).not.toContain(unpinned);
    expect((await strataOk(['explain', '--root', root, 'app:keep'])).stdout).toContain('COPY a.txt /a.txt');
    expect((await strataOk(['explain', '--root', root])).stdout).toContain(`image ${ids[5]}`);
  });
});

describe('build reports with builds and prunes in separate processes at once', () => {
  it('removes only old unpinned reports; every racing build keeps its report and explain answers', async () => {
    requireBuiltCli();
    // Six reports an hour old, then four builds (each writing a report and pruning, maxEntries 0)
    // racing three `prune` runs: every old unpinned report goes, no racing build's report does.
    await writeFile(join(root, 'config.json'), '{"history": {"maxEntries": 0}}');
    for (let v = 10; v < 16; v++) await build(v);
    await ageReports();
    const old = await reports();
    const pinnedBefore = [
      `build-${JSON.parse((await strataOk(['explain', '--root', root, '--json', 'app:keep'])).stdout).buildId}.json`,
    ];
    const builds = [20, 21, 22, 23].map((v) =>
      startCli(['build', '--root', root, '-q', '--build-arg', `V=${v}`, '-t', `app:race${v}`, ctx]),
    );
    const prunes = [0, 1, 2].map(() => startCli(['prune', '--root', root]));
    const done = await Promise.all([...builds, ...prunes].map((p) => p.done));
    for (const d of done) expect(d.code, d.stderr).toBe(0);

    const left = await reports();
    for (const f of old) if (!pinnedBefore.includes(f)) expect(left).not.toContain(f);
    for (const v of [20, 21, 22, 23]) {
      const r = await strataOk(['explain', '--root', root, '--json', `app:race${v}`]);
      expect(left).toContain(`build-${JSON.parse(r.stdout).buildId}.json`);
    }
    expect((await strataOk(['explain', '--root', root])).stdout).toContain('COPY a.txt /a.txt');
    expect(left).toContain(pinnedBefore[0]);
  }, 60_000);
});
