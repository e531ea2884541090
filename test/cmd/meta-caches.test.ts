/**
 * Meta caches through the real CLI (core/gc/meta-caches.ts): a no-op build reads its stat
 * caches and ADD <url> validators without writing them, and `prune` keeps them by their atime;
 * once unused for a week they go (`--dry-run` lists them first), and all a pruned one costs
 * is a rehash and a re-validation: the next build is CACHED step for step with the same image
 * ID, and the caches are back. The gc a store policy runs after builds applies the same rule.
 * Build reports, pointers, last-build.json and step-index.json are never touched.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepOutcomes, strataOk } from '../helpers/cli.js';

const DAY = 86_400_000;
const CACHE = /^(statcache-|http-|rewrite-timestamp-)/;

let dir: string;
let root: string;
let ctx: string;
let server: Server;
let imageId: string;

const meta = async () => (await readdir(join(root, 'meta'))).sort();
const caches = async () => (await meta()).filter((n) => CACHE.test(n));
const others = async () => (await meta()).filter((n) => !CACHE.test(n));

/** Sets every cache's atime and mtime `ms` back; returns the mtime set, by name. */
async function ageCaches(ms: number): Promise<Map<string, number>> {
  const t = new Date(Date.now() - ms);
  const set = new Map<string, number>();
  for (const n of await caches()) {
    await utimes(join(root, 'meta', n), t, t);
    set.set(n, (await stat(join(root, 'meta', n))).mtimeMs);
  }
  return set;
}

const build = (dirArg = ctx, flags: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  strataOk(['build', '--root', root, '--progress', 'plain', ...flags, dirArg], { env });

/** The image ID a `--progress plain` build wrote. */
const imageOf = (stderr: string) => /writing image (sha256:[0-9a-f]{64})/.exec(stderr)?.[1];

/** The rewrite-timestamp export, as an OCI tar's digest (the memo makes it without rewriting). */
async function rewrittenExport(): Promise<string> {
  const dest = join(dir, `out-${Date.now()}.tar`);
  await build(ctx, ['--output', `type=oci,dest=${dest},rewrite-timestamp=true`], {
    SOURCE_DATE_EPOCH: '1700000000',
  });
  return createHash('sha256')
    .update(await readFile(dest))
    .digest('hex');
}

beforeAll(async () => {
  // Answers a conditional request with 304, as the servers ADD <url> revalidates against.
  server = createServer((req, res) =>
    req.headers['if-none-match'] === '"v1"'
      ? res.writeHead(304, { etag: '"v1"' }).end()
      : res.writeHead(200, { etag: '"v1"' }).end('tool v1\n'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tool.sh`;
  dir = await mkdtemp(join(tmpdir(), 'strata-meta-caches-'));
  root = join(dir, 'root');
  ctx = join(dir, 'ctx');
  await mkdir(root, { mode: 0o700 });
  await mkdir(ctx);
  await writeFile(join(ctx, 'a.txt'), 'a\n');
  // A context stat cache, a COPY --from layer-stack stat cache, ADD <url> validators.
  await writeFile(
    join(ctx, 'Dockerfile'),
    `FROM scratch AS src\nCOPY a.txt /a.txt\nFROM scratch\nCOPY --from=src /a.txt /b.txt\nADD ${url} /tool.sh\n`,
  );
  imageId = imageOf((await build()).stderr) ?? '';
  expect(imageId).toMatch(/^sha256:/);
  await build(); // its first rebuild: a report saying every step hits; the next is a no-op
}, 60_000);
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe('meta caches', () => {
  it('a no-op build reads its caches without writing them; prune keeps them by their atime', async () => {
    expect((await caches()).map((n) => n.replace(/-[0-9a-f]{64}$/, ''))).toEqual([
      'http',
      'statcache',
      'statcache',
    ]);
    const mtimes = await ageCaches(10 * DAY);
    const before = await meta();
    const r = await build();
    expect(imageOf(r.stderr)).toBe(imageId);
    expect(await meta()).toEqual(before);
    for (const [n, mtimeMs] of mtimes) {
      const st = await stat(join(root, 'meta', n));
      expect(st.mtimeMs, `${n}: a no-op build writes no cache`).toBe(mtimeMs);
      // relatime (Linux's default) or strictatime: the read moved it. Under noatime it would
      // not, and the cache would go below like an unused one (README, "Meta caches").
      expect(Date.now() - st.atimeMs, `${n}: its atime moved when the build read it`).toBeLessThan(60_000);
    }
    const p = await strataOk(['prune', '--root', root]);
    expect(p.stdout).toMatch(/, 0 build reports, 0 meta caches\n/);
    expect(await meta()).toEqual(before);
  });

  it('after a week unused they go; a dry run lists them first; the next build costs only a rehash', async () => {
    const exported = await rewrittenExport();
    const memo = (await caches()).filter((n) => n.startsWith('rewrite-timestamp-'));
    expect(memo).toHaveLength(1);
    await ageCaches(10 * DAY);
    const names = await caches();
    const kept = await others();

    const dry = await strataOk(['prune', '--root', root, '--dry-run']);
    const listed = dry.stdout.split('\n').filter((l) => l.includes('meta cache'));
    expect(listed.map((l) => /^would remove meta cache (\S+) /.exec(l)?.[1]).sort()).toEqual(names);
    for (const l of listed) expect(l).toMatch(/: last read or written 10d ago, longer than 7d: /);
    expect(await caches()).toEqual(names);

    const p = await strataOk(['prune', '--root', root]);
    expect(p.stdout).toMatch(/, 4 meta caches\n/);
    expect(await caches()).toEqual([]);
    expect(await others()).toEqual(kept);

    const r = await build();
    expect(imageOf(r.stderr)).toBe(imageId);
    expect(stepOutcomes(r.stderr).map((s) => s.cached)).toEqual([true, true, true]);
    expect(await caches()).toEqual(names.filter((n) => !memo.includes(n)));
    expect(await rewrittenExport()).toBe(exported);
    expect(await caches()).toEqual(names);
  });

  it('the gc a store policy runs after a build removes caches unused for a week, not those it used', async () => {
    const other = join(dir, 'other');
    await mkdir(other);
    await writeFile(join(other, 'c.txt'), 'c\n');
    await writeFile(join(other, 'Dockerfile'), 'FROM scratch\nCOPY c.txt /c.txt\n');
    const before = await caches();
    await build(other);
    const otherCache = (await caches()).filter((n) => !before.includes(n));
    expect(otherCache).toHaveLength(1);
    await ageCaches(10 * DAY);
    const memo = (await caches()).filter((n) => n.startsWith('rewrite-timestamp-'));

    await writeFile(join(root, 'config.json'), '{"gc": {"keepStorage": "10GB"}}');
    const r = await build();
    await rm(join(root, 'config.json'));
    expect(imageOf(r.stderr)).toBe(imageId);
    // This build read its stat caches and validators (their atime moved): kept. The other
    // context's stat cache and the export's memo were not used for ten days: gone.
    expect(r.stderr).toMatch(
      /gc \(.*config\.json\): removed 0 cache records, 0 layers, 0 blobs, 0 cache mounts, 2 meta caches;/,
    );
    expect(await caches()).toEqual(before.filter((n) => !memo.includes(n)));
  });
});
