/**
 * strata import / save / load through the CLI entry (in process), checked against Docker:
 * a rootfs tar imported by strata runs in Docker after `strata save` + `docker load`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../cmd/io.js';
import { main } from '../../cmd/main.js';
import { Store } from '../../store/index.js';
import {
  docker,
  makeBusyboxRootfs,
  requireDocker,
  requireRoot,
  requireTool,
  useTempDirs,
} from './helpers/index.js';

const exec = promisify(execFile);
const tempDir = useTempDirs('strata-e2e-cli-');
const NAME = `strata-e2e/imported:${process.pid}-${Date.now()}`;

function capture(): { io: Io; out: () => string; err: () => string } {
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  const sink = (into: Buffer[]) =>
    new Writable({
      write(c: Buffer, _enc, cb) {
        into.push(Buffer.from(c));
        cb();
      },
    });
  return {
    io: { stdout: sink(o), stderr: sink(e), env: { ...process.env, STRATA_ROOT: '' }, cwd: process.cwd() },
    out: () => Buffer.concat(o).toString(),
    err: () => Buffer.concat(e).toString(),
  };
}

async function strata(args: string[]): Promise<string> {
  const c = capture();
  const code = await main(args, c.io);
  if (code !== 0) throw new Error(`strata ${args.join(' ')} exited ${code}: ${c.err()}`);
  return c.out();
}

describe('strata import, save and load', () => {
  let root: string;
  let rootfsTar: string;

  beforeAll(async () => {
    requireRoot();
    requireDocker();
    const tarBin = requireTool('tar');
    root = await tempDir();
    const dir = await tempDir();
    await makeBusyboxRootfs(join(dir, 'rootfs'));
    rootfsTar = join(dir, 'rootfs.tar');
    // GNU tar writes `./`-prefixed names, as most rootfs tarballs in the wild have them.
    await exec(tarBin, ['-C', join(dir, 'rootfs'), '-cf', rootfsTar, '.']);
  });

  afterAll(async () => {
    await docker(['rmi', '-f', NAME]).catch(() => {});
  });

  it('imports a rootfs tar, saves it, and Docker runs it', async () => {
    const id = (await strata(['import', rootfsTar, NAME, '--root', root])).trim();
    expect(id).toMatch(/^sha256:[a-f0-9]{64}$/);
    const store = await Store.open(root);
    expect((await store.getRef(`docker.io/${NAME}`))?.config).toBe(id);
    const config = await store.readJsonBlob<{
      rootfs: { diff_ids: string[] };
      history: { created_by: string }[];
    }>(id as `sha256:${string}`);
    expect(config.history.map((h) => h.created_by)).toEqual(['strata import']);

    const file = join(await tempDir(), 'imported.tar');
    await strata(['save', NAME, '-o', file, '--root', root]);
    expect((await docker(['load', '-i', file])).stdout).toContain(`Loaded image: ${NAME}`);
    const run = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      NAME,
      '/bin/sh',
      '-c',
      'echo imported; id -un',
    ]);
    expect(run.stdout).toBe('imported\nroot\n');
    const inspect = JSON.parse((await docker(['image', 'inspect', NAME])).stdout)[0];
    expect(inspect.Id).toBe(id);
    expect(inspect.RootFS.Layers).toEqual(config.rootfs.diff_ids);

    const other = await tempDir();
    expect(await strata(['load', '-i', file, '--root', other])).toBe(`Loaded image: ${NAME}\n`);
    expect((await (await Store.open(other)).getRef(`docker.io/${NAME}`))?.config).toBe(id);
  });

  it('maps bad input to exit codes, not crashes', async () => {
    const c = capture();
    expect(await main(['save', 'no-such-image:1', '-o', join(root, 'x.tar'), '--root', root], c.io)).toBe(3);
    expect(c.err()).toContain('no such image');
    const d = capture();
    expect(await main(['load', '-i', join(root, 'missing.tar'), '--root', root], d.io)).toBe(3);
    const e = capture();
    expect(await main(['save', NAME, '--format', 'zip', '-o', 'x', '--root', root], e.io)).toBe(2);
  });
});
