/**
 * A store that keeps itself in bounds, as BuildKit's GC does: `prune --keep-storage` removes
 * the least recently used cache first until the store is under the cap, `--filter until=`
 * what was not used for that long, `--dry-run` lists what would go and why, and a policy in
 * `<root>/config.json` is applied after builds. Tagged images and the last build's cache
 * stay usable: the next build of it is fully CACHED.
 */
import { appendFile, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { storeBytes } from '../../core/gc/gc-plan.js';
import { Store } from '../../store/index.js';
import { ownedName } from '../../store/process-owner.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { stepOutcomes, strata, strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();
const MB = 2 ** 20;

/** A context whose one RUN writes `mb` MiB of random bytes (a layer of that size). */
async function bigContext(name: string, mb = 3): Promise<string> {
  const ctx = await tmp();
  await writeFile(
    join(ctx, 'Dockerfile'),
    `FROM busybox\nRUN echo ${name} > /name && dd if=/dev/urandom of=/blob bs=1048576 count=${mb} 2>/dev/null\n`,
  );
  return ctx;
}

const build = (root: string, ctx: string, flags: string[] = []) =>
  strataOk(['build', '--root', root, '--progress', 'plain', ...flags, ctx]);
const allCached = (stderr: string) => stepOutcomes(stderr).every((s) => s.cached);

describe('store GC', () => {
  let root: string;
  let store: Store;
  const ctxs: string[] = [];
  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    await importBusybox(root);
    store = await Store.open(root);
    for (let i = 0; i < 6; i++) ctxs.push(await bigContext(`build-${i}`));
    await build(root, ctxs[0], ['-t', 'kept:1']);
    for (let i = 1; i < 6; i++) await build(root, ctxs[i]);
  });

  it('--keep-storage: dry run lists LRU first and changes nothing; the prune gets under the cap', async () => {
    const before = await storeBytes(store);
    const cap = before - 7 * MB; // three of the five untagged 3 MiB layers must go
    const dry = await strataOk(['prune', '--root', root, '--keep-storage', String(cap), '--dry-run']);
    expect(await storeBytes(store)).toBe(before);
    const would = dry.stdout.split('\n').filter((l) => l.startsWith('would remove cache record'));
    expect(would.length).toBeGreaterThanOrEqual(3);
    // Least recently used first: builds 1, 2, 3 (build 0 is tagged, build 5 is the last build).
    expect(would[0]).toContain('echo build-1');
    expect(would[1]).toContain('echo build-2');
    expect(would[2]).toContain('echo build-3');
    expect(dry.stdout).not.toContain('echo build-5');
    expect(dry.stdout).not.toContain('echo build-0');
    expect(would[0]).toMatch(
      /\(3\.\d+MB\): last used \d+s ago: least recently used while the store is over its/,
    );
    expect(dry.stdout).toMatch(/store: .* before, .* after \(cap .*: under it\) \(estimated\)/);
    expect(dry.stdout).toContain('records of the last build');

    const r = await strataOk(['prune', '--root', root, '--keep-storage', String(cap)]);
    const after = await storeBytes(store);
    expect(after).toBeLessThanOrEqual(cap);
    expect(r.stdout).toMatch(/removed [3-9] cache records, [3-9] layers/);
    expect(r.stdout).toMatch(/store: \d.*B before, \d.*B after \(cap .*, \d+ bytes: under it\)/);
    console.log(`gc: ${before} bytes before, ${after} after, cap ${cap}\n${r.stdout}`);

    // Nothing broken: fsck is clean, and the tagged image and the last build are fully CACHED.
    expect((await strata(['fsck', '--root', root])).code).toBe(0);
    expect(allCached((await build(root, ctxs[5])).stderr)).toBe(true);
    expect(allCached((await build(root, ctxs[0], ['-t', 'kept:1'])).stderr)).toBe(true);
    // What went is really gone: the oldest untagged build runs again.
    expect(allCached((await build(root, ctxs[1])).stderr)).toBe(false);
  });

  it('--filter until= removes only what was not used for that long', async () => {
    const old = await bigContext('old-one');
    await build(root, old);
    const fresh = await bigContext('fresh-one');
    await build(root, fresh);
    // Age the records of `old` by two days (their last use is their file's mtime).
    const report = JSON.parse((await store.readMeta('last-build.json'))?.toString() ?? '{}');
    expect(report.buildId).toBeDefined();
    const lastUsed = await store.cacheRecordsLastUsed();
    const records = await store.listCacheRecords<{
      key: `sha256:${string}`;
      options: { instruction: string };
    }>();
    const twoDays = new Date(Date.now() - 48 * 3600 * 1000);
    for (const rec of records) {
      if (!rec.options.instruction.includes('old-one')) continue;
      await utimes(join(root, 'cache', `${rec.key.slice(7)}.json`), twoDays, twoDays);
    }
    expect(lastUsed.size).toBeGreaterThan(0);
    const dry = await strataOk(['prune', '--root', root, '--filter', 'until=24h', '--dry-run']);
    const would = dry.stdout.split('\n').filter((l) => l.startsWith('would remove cache record'));
    expect(would).toHaveLength(1);
    expect(would[0]).toMatch(/echo old-one .*last used 2d ago, longer than until=24h/);
    await strataOk(['prune', '--root', root, '--filter', 'until=24h']);
    expect(allCached((await build(root, fresh)).stderr)).toBe(true);
    expect(allCached((await build(root, old)).stderr)).toBe(false);
    const bad = await strata(['prune', '--root', root, '--filter', 'until=yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('until=yesterday: want a duration like 24h');
  });

  it('removes a parent record with its child though the parent was used less recently', async () => {
    // A chain of two runs: the child reaches the parent's layer, so the parent frees nothing
    // while the child stays. Least recently used first tries the parent first; it must be
    // tried again once the child has gone, not kept as "shared".
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\n' +
        'RUN echo chain-parent > /p && dd if=/dev/urandom of=/p.bin bs=1048576 count=2 2>/dev/null\n' +
        'RUN echo chain-child > /c && dd if=/dev/urandom of=/c.bin bs=1048576 count=2 2>/dev/null\n',
    );
    await build(root, ctx);
    await build(root, ctxs[5]); // the last build is another
    const records = await store.listCacheRecords<{
      key: `sha256:${string}`;
      options: { instruction: string };
    }>();
    const hours = (h: number) => new Date(Date.now() - h * 3600 * 1000);
    for (const rec of records) {
      const at = rec.options.instruction.includes('chain-parent')
        ? hours(2)
        : rec.options.instruction.includes('chain-child')
          ? hours(1)
          : undefined;
      if (at) await utimes(join(root, 'cache', `${rec.key.slice(7)}.json`), at, at);
    }
    const dry = await strataOk(['prune', '--root', root, '--keep-storage', '0', '--dry-run']);
    const would = dry.stdout.split('\n').filter((l) => l.startsWith('would remove cache record'));
    const child = would.findIndex((l) => l.includes('echo chain-child'));
    const parent = would.findIndex((l) => l.includes('echo chain-parent'));
    expect(child).toBeGreaterThanOrEqual(0);
    expect(parent).toBeGreaterThan(child);
    expect(would[parent]).toMatch(/\(2\.\d+MB\): last used 2h ago/);
  });

  it('keeps what a running build has used since it started', async () => {
    const a = await bigContext('running-a');
    const b = await bigContext('running-b');
    await build(root, a);
    await build(root, b);
    // b's records were last used before the running build starts: their mtimes come from the
    // fine clock (utimes), the build dir's birth time from the kernel's coarse one (a tick of
    // up to 10 ms), so the two are kept well apart.
    await new Promise((r) => setTimeout(r, 50));
    // A build dir owned by a live process (this one) is a running build, started now.
    const dir = join(root, 'builds', ownedName());
    await mkdir(dir, { recursive: true });
    try {
      await new Promise((r) => setTimeout(r, 20));
      // A build that reuses a's records and runs a step of its own: it touches what it reuses
      // (a build that runs nothing writes nothing, so it would not: see core/exec/build.ts).
      await appendFile(join(a, 'Dockerfile'), 'RUN echo one-more-step\n');
      await build(root, a);
      await build(root, ctxs[5]); // the last build is another
      const dry = await strataOk(['prune', '--root', root, '--keep-storage', '0', '--dry-run']);
      expect(dry.stdout).toContain('echo running-b');
      expect(dry.stdout).not.toContain('echo running-a');
      expect(dry.stdout).toMatch(/kept: .*\d+ records a running build may use/);
    } finally {
      await rm(dir, { recursive: true });
    }
    const after = await strataOk(['prune', '--root', root, '--keep-storage', '0', '--dry-run']);
    expect(after.stdout).toContain('echo running-a');
  });

  it('cache mounts count toward the cap and go too, least recently used', async () => {
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nRUN --mount=type=cache,target=/c,id=gc-test dd if=/dev/urandom of=/c/blob bs=1048576 count=2 2>/dev/null\n',
    );
    await build(root, ctx);
    await build(root, ctxs[5]);
    const mount = (await store.listCacheMounts()).find((m) => m.id === 'gc-test');
    expect(mount?.size).toBeGreaterThanOrEqual(2 * MB);
    const dry = await strataOk(['prune', '--root', root, '--keep-storage', '0', '--dry-run']);
    expect(dry.stdout).toMatch(/would remove cache mount gc-test \(2\.\d+MB\): last used/);
    await strataOk(['prune', '--root', root, '--keep-storage', '0']);
    expect((await store.listCacheMounts()).find((m) => m.id === 'gc-test')).toBeUndefined();
    expect(allCached((await build(root, ctxs[5])).stderr)).toBe(true);
  });

  it('a policy in <root>/config.json keeps the store under its cap after builds', async () => {
    const cap = (await storeBytes(store)) + 4 * MB;
    await writeFile(join(root, 'config.json'), JSON.stringify({ gc: { keepStorage: String(cap) } }));
    let said = '';
    for (let i = 0; i < 4; i++) {
      const r = await build(root, await bigContext(`auto-${i}`));
      said += r.stderr;
      expect(await storeBytes(store)).toBeLessThanOrEqual(cap);
    }
    expect(said).toMatch(/gc \(.*config\.json\): removed [1-9]\d* cache records, [1-9]\d* layers/);
    expect(said).toMatch(/the store held .*B, about .*B now \(cap .*\)/);
    await writeFile(join(root, 'config.json'), JSON.stringify({ gc: { keepStorage: 'lots' } }));
    const bad = await strata(['build', '--root', root, ctxs[5]]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('gc.keepStorage "lots": want a size like 512MB');
  });
});
