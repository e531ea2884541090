/**
 * The docker-shaped image commands on a store that holds a strata-built image: images (with
 * the platform of each name: one, or every one of a multi-platform build or a loaded OCI
 * index), inspect (and --format), history, tag, rmi, root, du.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostPlatform } from '../../core/oci/platform.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { strata, strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();

describe('image commands', () => {
  let root: string;
  let id: string;
  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    await importBusybox(root);
    const ctx = await tmp();
    await writeFile(join(ctx, 'a.txt'), 'a\n');
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nLABEL org.example=yes\nCOPY a.txt /a.txt\nENV MODE=prod\nCMD ["cat", "/a.txt"]\n',
    );
    id = (await strataOk(['build', '--root', root, '-q', '-t', 'shop/app:1.0', ctx])).stdout.trim();
  });

  it('images lists repository, tag, short ID, platform and size', async () => {
    const out = (await strataOk(['images', '--root', root])).stdout;
    expect(out.split('\n')[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+PLATFORM\s+SIZE$/);
    const line = out.split('\n').find((l) => l.startsWith('shop/app'));
    expect(line).toMatch(
      new RegExp(
        `^shop/app\\s+1\\.0\\s+${id.slice(7, 19)}\\s+.*\\s${hostPlatform()}\\s+\\d+(\\.\\d+)?[kM]?B$`,
      ),
    );
    expect((await strataOk(['images', '--root', root, '-q'])).stdout).toContain(id.slice(7, 19));
  });

  it('inspect prints Docker-shaped JSON and supports --format', async () => {
    const [img] = JSON.parse((await strataOk(['inspect', '--root', root, 'shop/app:1.0'])).stdout);
    expect(img.Id).toBe(id);
    expect(img.RepoTags).toEqual(['shop/app:1.0']);
    expect(img.Config.Cmd).toEqual(['cat', '/a.txt']);
    expect(img.Config.Env).toContain('MODE=prod');
    expect(img.Config.Labels).toEqual({ 'org.example': 'yes' });
    expect(img.RootFS.Layers).toHaveLength(2);
    expect(
      (await strataOk(['inspect', '--root', root, '--format', '{{.Config.Cmd}}', id.slice(7, 19)])).stdout,
    ).toBe('[cat /a.txt]\n');
  });

  it('history shows every instruction newest first, with empty layers at 0B', async () => {
    const out = (await strataOk(['history', '--root', root, '--no-trunc', 'shop/app:1.0'])).stdout.split(
      '\n',
    );
    expect(out[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
    expect(out[1]).toContain('CMD ["cat", "/a.txt"]');
    expect(out[1]).toMatch(/\s0B\s/);
    expect(out[3]).toContain('COPY a.txt /a.txt # buildkit');
    expect(out[3]).not.toMatch(/\s0B\s/);
  });

  it('tag adds a name and rmi removes it; a missing name is a clear error', async () => {
    await strataOk(['tag', '--root', root, 'shop/app:1.0', 'shop/app:latest']);
    expect(
      (await strataOk(['inspect', '--root', root, '--format', '{{.Id}}', 'shop/app'])).stdout.trim(),
    ).toBe(id);
    expect((await strataOk(['rmi', '--root', root, 'shop/app:latest'])).stdout).toBe(
      'Untagged: shop/app:latest\n',
    );
    const gone = await strata(['inspect', '--root', root, 'shop/app:latest']);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toBe('strata: find image: no such image: shop/app:latest\n');
  });

  it('images shows every platform of a multi-platform build and of a loaded OCI index', async () => {
    const ctx = await tmp();
    await writeFile(join(ctx, 'a.txt'), 'a\n');
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY a.txt /a.txt\n');
    const build = (platforms: string, tag: string, ...more: string[]) =>
      strataOk(['build', '--root', root, '-q', '--platform', platforms, '-t', tag, ...more, ctx]);
    await build('linux/amd64,linux/arm64', 'shop/multi:1');
    await build('linux/arm/v7,linux/amd64', 'shop/multi:arm');
    await build('linux/arm64', 'shop/arm64:1');
    const index = join(await tmp(), 'index.tar');
    await build('linux/amd64,linux/arm64', 'shop/multi:1', '--output', `type=oci,dest=${index}`);

    const platformOf = (out: string, repo: string, tag: string) =>
      out
        .split('\n')
        .find((l) => l.startsWith(`${repo} `) && l.split(/\s+/)[1] === tag)
        ?.split(/\s{3,}/)[4];
    const out = (await strataOk(['images', '--root', root])).stdout;
    expect(platformOf(out, 'shop/multi', '1')).toBe('linux/amd64,linux/arm64');
    expect(platformOf(out, 'shop/multi', 'arm')).toBe('linux/amd64,linux/arm/v7');
    expect(platformOf(out, 'shop/arm64', '1')).toBe('linux/arm64');
    expect(platformOf(out, 'shop/app', '1.0')).toBe(hostPlatform());

    const fresh = await tmp();
    await strataOk(['load', '--root', fresh, '-i', index]);
    const loaded = (await strataOk(['images', '--root', fresh])).stdout;
    expect(platformOf(loaded, 'shop/multi', '1')).toBe('linux/amd64,linux/arm64');
  });

  it('root and du describe the store', async () => {
    expect((await strataOk(['root', '--root', root])).stdout.trim()).toBe(root);
    const du = (await strataOk(['du', '--root', root])).stdout;
    expect(du).toMatch(/layers\s+\d+/);
    expect(du).toMatch(/cache records\s+[1-9]/);
  });
});
