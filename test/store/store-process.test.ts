/** The store shared by real, separate processes: locks, concurrent commits, crashed writers. */
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Digest, sha256 } from '../../core/oci/index.js';
import { Store } from '../../store/index.js';
import { type Child, compileStore, spawnChild } from './child-store.js';

let storeModule: string;
beforeAll(async () => {
  storeModule = await compileStore();
});

async function freshRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'strata-proc-'));
}

describe('locks across processes', () => {
  it('never lets two processes hold a lock at once, even when starting from a dead holder', async () => {
    const root = await freshRoot();
    const counter = join(root, 'counter');
    const start = join(root, 'start');
    await writeFile(counter, '0');
    // A holder that died without releasing: every child first contends for the takeover.
    const store = await Store.open(root);
    const dead = spawnChild(storeModule, ['lock-hold', root, 'build']);
    await dead.line(/^held$/);
    await dead.kill();
    const children: Child[] = [];
    for (let i = 0; i < 4; i++)
      children.push(spawnChild(storeModule, ['lock-count', root, 'build', '25', counter, start]));
    await writeFile(start, '');
    const outputs = await Promise.all(children.map((c) => c.done()));
    for (const out of outputs) expect(out).toBe('done\n'); // no VIOLATION line
    expect(await readFile(counter, 'utf8')).toBe('100');
    // Released: the lock dir holds exactly `free`, and this process can take it at once.
    expect(await readdir(join(root, 'locks', 'build'))).toEqual(['free']);
    const lock = await store.tryLock('build');
    expect(lock).toBeDefined();
    await lock?.release();
  });

  it("keeps a live holder's lock and takes over a SIGKILLed holder's lock", async () => {
    const root = await freshRoot();
    const store = await Store.open(root);
    const holder = spawnChild(storeModule, ['lock-hold', root, 'gc']);
    await holder.line(/^held$/);
    const pid = holder.proc.pid;
    expect(await readdir(join(root, 'locks', 'gc'))).toEqual([
      expect.stringMatching(new RegExp(`^held\\.${pid}\\.`)),
    ]);
    expect(await store.tryLock('gc')).toBeUndefined();

    let acquired = false;
    const waiting = store.lock('gc').then((l) => {
      acquired = true;
      return l;
    });
    // Give the waiter several polling rounds; it must still be waiting while the holder lives.
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    expect(acquired).toBe(false);

    await holder.kill();
    const lock = await waiting;
    expect(await readdir(join(root, 'locks', 'gc'))).toEqual([
      expect.stringMatching(new RegExp(`^held\\.${process.pid}\\.`)),
    ]);
    await lock.release();
    expect(await readdir(join(root, 'locks', 'gc'))).toEqual(['free']);
  });

  it('stops waiting when the signal aborts', async () => {
    const store = await Store.open(await freshRoot());
    const held = await store.lock('x');
    const ac = new AbortController();
    const waiting = store.lock('x', { signal: ac.signal });
    ac.abort(new Error('user pressed ^C'));
    await expect(waiting).rejects.toThrow('user pressed ^C');
    await held.release();
    await held.release(); // idempotent
    const again = await store.lock('x');
    await again.release();
  });

  it('recreates a lock dir emptied by hand', async () => {
    const root = await freshRoot();
    const store = await Store.open(root);
    await mkdir(join(root, 'locks', 'odd'));
    const l = await store.lock('odd');
    expect(await readdir(join(root, 'locks', 'odd'))).toEqual([expect.stringMatching(/^held\./)]);
    await l.release();
  });
});

describe('concurrent layer commits', () => {
  it('two processes committing the same layer both succeed with one record and one dir', async () => {
    for (let round = 0; round < 4; round++) {
      const root = await freshRoot();
      const diffId = sha256(`layer ${round}`);
      const chainId: Digest = diffId; // a base layer's chainID is its diffID
      const start = join(root, 'start');
      const kids = [0, 1].map(() => spawnChild(storeModule, ['commit-layer', root, chainId, diffId, start]));
      await Promise.all(kids.map((k) => k.line(/^ready$/)));
      await writeFile(start, '');
      const outs = await Promise.all(kids.map((k) => k.done()));
      const recs = outs.map((o) =>
        JSON.parse(
          o
            .split('\n')
            .find((l) => l.startsWith('record '))!
            .slice(7),
        ),
      );
      expect(recs[0]).toEqual(recs[1]);
      expect(recs[0]).toMatchObject({ chainId, diffId, size: 42, compressed: [] });
      expect(await readdir(join(root, 'layers'))).toEqual([chainId.slice(7)]);
      const store = await Store.open(root);
      expect(await store.getLayer(chainId)).toEqual(recs[0]);
      const body = await readFile(join(store.diffPath(chainId), 'hello'), 'utf8');
      expect(kids.map((k) => `from ${k.proc.pid}`)).toContain(body);
    }
  });
});

describe('crashed writers', () => {
  it('open() sweeps the ingest file and staging dir of a SIGKILLed process, not of a live one', async () => {
    const root = await freshRoot();
    const child = spawnChild(storeModule, ['ingest-hang', root]);
    const { ingest, staging } = JSON.parse(await child.line(/^\{/)) as { ingest: string; staging: string };
    expect((await stat(ingest)).size).toBe('half of something'.length);
    await Store.open(root); // owner alive: kept
    expect((await stat(ingest)).isFile()).toBe(true);
    expect(await readFile(join(staging, 'file'), 'utf8')).toBe('staged');
    await child.kill();
    await Store.open(root);
    expect(await readdir(join(root, 'ingest'))).toEqual([]);
    expect(await readdir(join(root, 'layers'))).toEqual([]);
  });
});
