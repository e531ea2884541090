/**
 * Issue 13 defect 5, as the attack: a context whose Dockerfile is a symlink to a host file,
 * and devices as Dockerfiles. The build (and parse/lint) must refuse without reading the
 * host file, and never print a byte of it.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DOCKERFILE, readDockerfile } from '../../../core/context/dockerfile-file.js';
import { InvalidInputError, NotFoundError, SecurityError } from '../../../core/oci/errors.js';
import { strata } from '../../helpers/cli.js';

const HOST_LINE = 'root:$6$hostsecret:19000:0:99999:7:::';
let tmp: string;
let hostFile: string;

function context(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  return dir;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-dockerfile-'));
  hostFile = path.join(tmp, 'shadow');
  writeFileSync(hostFile, `${HOST_LINE}\n`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readDockerfile', () => {
  it("refuses the context's Dockerfile when it is a symlink to outside the context", async () => {
    const ctx = context('evil-link');
    symlinkSync(hostFile, path.join(ctx, 'Dockerfile'));
    const err = await readDockerfile(ctx, undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecurityError);
    expect(String(err)).toMatch(/points outside the build context; name the file with -f/);
    expect(String(err)).not.toContain('hostsecret');
  });

  it('refuses a relative symlink that climbs out, and one to /dev/zero', async () => {
    const up = context('evil-up');
    symlinkSync('../shadow', path.join(up, 'Dockerfile'));
    await expect(readDockerfile(up, undefined)).rejects.toBeInstanceOf(SecurityError);
    const zero = context('evil-zero');
    symlinkSync('/dev/zero', path.join(zero, 'Dockerfile'));
    await expect(readDockerfile(zero, undefined)).rejects.toBeInstanceOf(SecurityError);
  });

  it('follows a symlink that stays inside the context', async () => {
    const ctx = context('inside-link');
    mkdirSync(path.join(ctx, 'docker'));
    writeFileSync(path.join(ctx, 'docker/app.Dockerfile'), 'FROM scratch\n');
    symlinkSync('docker/app.Dockerfile', path.join(ctx, 'Dockerfile'));
    expect((await readDockerfile(ctx, undefined)).text).toBe('FROM scratch\n');
  });

  it('-f /dev/zero is not a regular file: refused at once, nothing read', async () => {
    const err = await readDockerfile(context('dev-zero'), '/dev/zero').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(String(err)).toMatch(/not a regular file/);
  });

  it('a Dockerfile over the cap is refused before it is read', async () => {
    const ctx = context('huge');
    writeFileSync(path.join(ctx, 'Dockerfile'), '');
    truncateSync(path.join(ctx, 'Dockerfile'), MAX_DOCKERFILE + 1);
    await expect(readDockerfile(ctx, undefined)).rejects.toThrow(/more than the 16777216 allowed/);
  });

  it('falls back to a lowercase dockerfile, as BuildKit does', async () => {
    const ctx = context('lower');
    writeFileSync(path.join(ctx, 'dockerfile'), 'FROM scratch\n');
    const got = await readDockerfile(ctx, undefined);
    expect(path.basename(got.path)).toBe('dockerfile');
    await expect(readDockerfile(context('none'), undefined)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('-f names a host file the user chose, symlink or not', async () => {
    const link = path.join(tmp, 'my.Dockerfile');
    writeFileSync(path.join(tmp, 'real.Dockerfile'), 'FROM scratch\n');
    symlinkSync('real.Dockerfile', link);
    expect((await readDockerfile(context('named'), link)).text).toBe('FROM scratch\n');
  });
});

describe('the CLI never echoes the host file', () => {
  for (const cmd of [['build'], ['parse'], ['lint']]) {
    it(`strata ${cmd[0]} of a context whose Dockerfile links to a host file`, async () => {
      const ctx = context(`cli-${cmd[0]}`);
      symlinkSync(hostFile, path.join(ctx, 'Dockerfile'));
      const root = path.join(tmp, `root-${cmd[0]}`);
      const r = await strata(
        [...cmd, '--root', root, ctx].filter((a) => cmd[0] === 'build' || (a !== '--root' && a !== root)),
      );
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).not.toContain('hostsecret');
      expect(r.stderr).toMatch(/outside the build context/);
    });
  }
});
