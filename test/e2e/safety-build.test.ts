/**
 * Issue 13's build-side attacks, run for real (runc, the CLI): each test is the attack as it
 * was reproduced on d96c67f, and asserts what must happen instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { buildToDir, stepOutcomes, strata, strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();
const SECRET = 'API_KEY=sk-live-never-in-an-image';

describe('RUN --mount=type=bind of the context shows the filtered context (defect 3)', () => {
  let root: string;
  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    await importBusybox(root);
  });

  it('an ignored .env is not in the mount, ro or rw; the key is what is mounted', async () => {
    const ctx = await tmp();
    await writeFile(join(ctx, '.dockerignore'), '.env\nsecrets/\n');
    await writeFile(join(ctx, '.env'), SECRET);
    await mkdir(join(ctx, 'secrets'));
    await writeFile(join(ctx, 'secrets/key'), SECRET);
    await writeFile(join(ctx, 'app.txt'), 'v1');
    await writeFile(
      join(ctx, 'Dockerfile'),
      [
        'FROM busybox',
        'RUN --mount=type=bind,target=/ctx (ls -a /ctx; cat /ctx/.env /ctx/secrets/key /ctx/app.txt) > /ro.txt 2>&1 || true',
        'RUN --mount=type=bind,target=/ctx,rw (cat /ctx/.env; echo x > /ctx/new; cat /ctx/app.txt) > /rw.txt 2>&1 || true',
        'RUN --mount=type=bind,source=app.txt,target=/one.txt cat /one.txt > /one-copy.txt',
        '',
      ].join('\n'),
    );
    const out = await tmp();
    await buildToDir(root, ctx, out);
    const ro = await readFile(join(out, 'ro.txt'), 'utf8');
    const rw = await readFile(join(out, 'rw.txt'), 'utf8');
    expect(ro).not.toContain('sk-live');
    expect(rw).not.toContain('sk-live');
    expect(ro).toContain('app.txt');
    expect(ro).not.toMatch(/^\.env$/m);
    expect(ro).toContain('v1');
    expect(rw).toContain('v1');
    expect(await readFile(join(out, 'one-copy.txt'), 'utf8')).toBe('v1');
    // rw writes are thrown away: the user's context is untouched.
    expect(existsSync(join(ctx, 'new'))).toBe(false);

    // The key covers exactly what is mounted: an ignored file's change keeps every step
    // cached; a mounted file's change reruns the steps that mount it.
    await writeFile(join(ctx, '.env'), `${SECRET}-rotated`);
    const same = await strataOk(['build', '--root', root, '--progress', 'plain', ctx]);
    expect(stepOutcomes(same.stderr).every((s) => s.cached)).toBe(true);
    await writeFile(join(ctx, 'app.txt'), 'v2');
    const changed = await strataOk(['build', '--root', root, '--progress', 'plain', ctx]);
    expect(
      stepOutcomes(changed.stderr)
        .filter((s) => s.name.includes('RUN'))
        .map((s) => s.cached),
    ).toEqual([false, false, false]);
  });
});

describe('ADD of an archive holding .wh. names (defect 10)', () => {
  let root: string;
  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    await importBusybox(root);
  });

  it('ADD vendor.tar /etc/ with etc/.wh.passwd is refused; /etc/passwd stays', async () => {
    const ctx = await tmp();
    const src = await tmp();
    await writeFile(join(src, '.wh.passwd'), '');
    await writeFile(join(src, 'vendor.conf'), 'ok');
    execFileSync('tar', ['-C', src, '-cf', join(ctx, 'vendor.tar'), '.wh.passwd', 'vendor.conf']);
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nADD vendor.tar /etc/\n');
    const r = await strata(['build', '--root', root, ctx]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/\.wh\.passwd.*means "deleted" in an image layer/);
    // The same base without the hostile entry builds, and /etc/passwd is there.
    const out = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN test -f /etc/passwd\n');
    await buildToDir(root, ctx, out);
    expect(existsSync(join(out, 'etc/passwd'))).toBe(true);
  });

  it('a context file named .wh.x cannot be copied into a layer either', async () => {
    const ctx = await tmp();
    await writeFile(join(ctx, '.wh.passwd'), '');
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY .wh.passwd /etc/\n');
    const r = await strata(['build', '--root', root, ctx]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/means "deleted" in an image layer/);
  });
});

describe('secret files are bounded (no unbounded read of a host file)', () => {
  let root: string;
  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    await importBusybox(root);
  });

  it('--secret src=/dev/zero or a file over 500 KiB is refused with the reason', async () => {
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nRUN --mount=type=secret,id=s wc -c /run/secrets/s\n',
    );
    const zero = await strata(['build', '--root', root, '--secret', 'id=s,src=/dev/zero', ctx]);
    expect(zero.code).not.toBe(0);
    expect(zero.stderr).toMatch(/secret s \(\/dev\/zero\): not a regular file/);
    const big = join(await tmp(), 'big');
    await writeFile(big, Buffer.alloc(500 * 1024 + 1));
    const r = await strata(['build', '--root', root, '--secret', `id=s,src=${big}`, ctx]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/more than the 512000 allowed/);
  });
});
