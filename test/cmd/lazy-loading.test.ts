/**
 * What a build loads decides much of what a small rebuild costs (Node's own start is ~40 ms;
 * node:tls alone is 9 ms, the runc and archive code ~15 ms more). The bundled CLI, as users
 * run it, must load only what the build's work needs: a fully cached build loads no xattr
 * binding and nothing of RUN, TLS, zlib or child processes; a COPY that misses loads the
 * xattr binding (it reads the changed files' xattrs) but still nothing of the rest.
 * NODE_DEBUG=module makes Node name every built-in and CommonJS module it loads.
 */
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, runCliOk } from '../reliability/helpers/cli-process.js';

let dir: string;
let root: string;
let ctx: string;

beforeAll(async () => {
  requireBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'strata-lazy-'));
  root = join(dir, 'root');
  ctx = join(dir, 'ctx');
  await mkdir(join(ctx, 'app'), { recursive: true });
  await writeFile(join(ctx, 'app/a.txt'), 'a\n');
  await writeFile(join(ctx, 'app/b.txt'), 'b\n');
  await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY app /app\nENV X=1\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Modules a build loaded, as NODE_DEBUG=module reports them. */
async function build(): Promise<{ loaded: string[]; log: string }> {
  const r = await runCliOk(['build', '--root', root, '--progress', 'plain', ctx], {
    NODE_DEBUG: 'module',
  });
  const loaded = [...r.stderr.matchAll(/load built-in module (\S+)/g)].map((m) => m[1]);
  if (r.stderr.includes('@napi-rs/xattr')) loaded.push('@napi-rs/xattr');
  return { loaded, log: r.stderr };
}

const HEAVY = ['node:tls', 'node:zlib', 'node:child_process', 'node:https', 'node:http'];

describe('what a build loads', () => {
  it('a cold build, a COPY miss and a cached build load none of RUN, TLS, zlib or child processes', async () => {
    const cold = await build();
    // The probe itself works: a build loads node:fs, and a COPY miss the xattr binding.
    expect(cold.loaded).toContain('node:fs');
    expect(cold.loaded).toContain('@napi-rs/xattr');
    for (const m of HEAVY) expect(cold.loaded).not.toContain(m);

    await appendFile(join(ctx, 'app/b.txt'), 'changed\n');
    const miss = await build();
    expect(miss.log).toMatch(/COPY app \/app\n#\d+ CACHE MISS: COPY\/ADD sources changed: changed b\.txt/);
    for (const m of HEAVY) expect(miss.loaded).not.toContain(m);

    const cached = await build();
    expect(cached.log).toMatch(/COPY app \/app\n#\d+ CACHE HIT[^\n]*\n#\d+ CACHED/);
    expect(cached.loaded).not.toContain('@napi-rs/xattr');
    for (const m of HEAVY) expect(cached.loaded).not.toContain(m);
  });
});
