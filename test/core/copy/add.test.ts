import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../../core/context/index.js';
import { addInto } from '../../../core/copy/add-into.js';
import { addUrl, urlFileName } from '../../../core/copy/add-url.js';
import { detectArchive } from '../../../core/copy/archive-detect.js';
import { UrlFetcher } from '../../../core/copy/url-content.js';
import { sha256 } from '../../../core/oci/digest.js';
import { DigestMismatchError, SecurityError } from '../../../core/oci/errors.js';
import { Store } from '../../../store/store.js';
import { listTree, makeTree, tempDir } from './helpers.js';

/** A context holding the same two-file tree as plain, gzip, bzip2 and xz tars (names hide the format). */
async function archiveContext(): Promise<string> {
  const src = await makeTree({ 'pkg/bin/run': 'run!', 'pkg/README': 'read me' });
  const ctx = await makeTree({ 'not-an-archive.tar.gz': 'just text' });
  execFileSync('tar', [
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '-cf',
    path.join(ctx, 'plain.bin'),
    '-C',
    src,
    'pkg',
  ]);
  for (const [tool, name] of [
    ['gzip', 'gz.bin'],
    ['bzip2', 'bz.bin'],
    ['xz', 'xz.bin'],
  ]) {
    writeFileSync(path.join(ctx, name), execFileSync(tool, ['-c', path.join(ctx, 'plain.bin')]));
  }
  return ctx;
}

describe('ADD local archives', () => {
  it('detects archives by content, not by name', async () => {
    const ctx = await archiveContext();
    expect(await detectArchive(path.join(ctx, 'plain.bin'))).toBe('none');
    expect(await detectArchive(path.join(ctx, 'gz.bin'))).toBe('gzip');
    expect(await detectArchive(path.join(ctx, 'bz.bin'))).toBe('bzip2');
    expect(await detectArchive(path.join(ctx, 'xz.bin'))).toBe('xz');
    expect(await detectArchive(path.join(ctx, 'not-an-archive.tar.gz'))).toBeUndefined();
  });

  for (const name of ['plain.bin', 'gz.bin', 'bz.bin', 'xz.bin']) {
    it(`unpacks ${name} into the destination`, async () => {
      const set = await (await openContext(await archiveContext())).resolveSources([name]);
      const staging = await tempDir();
      await addInto(staging, set, '/opt', { workdir: '/', chown: { uid: 7, gid: 8 } });
      const tree = listTree(staging);
      expect(tree['opt/pkg/bin/run']).toBe('file 0644 7:8 run!');
      expect(tree['opt/pkg/README']).toBe('file 0644 7:8 read me');
      expect(tree.opt).toBe('dir 0755 7:8');
    });
  }

  it('copies a non-archive as a file and --unpack=false copies archives as files', async () => {
    const ctx = await openContext(await archiveContext());
    const staging = await tempDir();
    await addInto(staging, await ctx.resolveSources(['not-an-archive.tar.gz', 'gz.bin']), '/d/', {
      workdir: '/',
      unpack: false,
    });
    const tree = listTree(staging);
    expect(tree['d/not-an-archive.tar.gz']).toBe('file 0644 0:0 just text');
    expect(Object.keys(tree).sort()).toEqual(['d', 'd/gz.bin', 'd/not-an-archive.tar.gz']);
  });

  it('refuses an archive entry that climbs out of the destination', async () => {
    const src = await makeTree({ 'x/evil': 'pwned' });
    const ctx = await makeTree({});
    execFileSync('tar', [
      '-cf',
      path.join(ctx, 'evil.tar'),
      '-C',
      path.join(src, 'x'),
      '--transform',
      's,^,../../,',
      'evil',
    ]);
    const set = await (await openContext(ctx)).resolveSources(['evil.tar']);
    const staging = await tempDir();
    await expect(addInto(staging, set, '/in/', { workdir: '/' })).rejects.toBeInstanceOf(SecurityError);
  });
});

describe('ADD archives through symlinks', () => {
  /** A tar of `files` (text; a value starting with `->` is a symlink to the rest). */
  async function tarOf(ctx: string, name: string, files: Record<string, string>): Promise<void> {
    const src = await tempDir();
    for (const [rel, v] of Object.entries(files)) {
      const p = path.join(src, rel);
      mkdirSync(path.dirname(p), { recursive: true });
      if (v.startsWith('->')) symlinkSync(v.slice(2), p);
      else writeFileSync(p, v);
    }
    execFileSync('tar', ['--numeric-owner', '-cf', path.join(ctx, name), '-C', src, '.']);
  }

  it('a directory an earlier archive of the step staged as a symlink is followed inside the image, never on the host', async () => {
    const outside = await tempDir('strata-outside-');
    const ctx = await makeTree({});
    await tarOf(ctx, 'a.tar', { run: `->${outside}` });
    // Later archives reach run/ through the image's var/run -> /run, then directly.
    await tarOf(ctx, 'b.tar', { 'var/run/y': 'through two links' });
    await tarOf(ctx, 'c.tar', { 'run/x': 'through the link' });
    const lower = await makeTree({ 'var/run': { link: '/run' } });
    const set = await (await openContext(ctx)).resolveSources(['a.tar', 'b.tar', 'c.tar']);
    const staging = await tempDir();
    await addInto(staging, set, '/', { workdir: '/', lowerDirs: [lower] });
    expect(readdirSync(outside)).toEqual([]);
    const tree = listTree(staging);
    expect(tree.run).toMatch(new RegExp(`^link \\d+:\\d+ ->${outside}$`));
    // The absolute target restarts at the image's root: chroot semantics, as fs.RootPath.
    expect(tree[`${outside.slice(1)}/x`]).toMatch(/^file 0644 \d+:\d+ through the link$/);
    expect(tree[`${outside.slice(1)}/y`]).toMatch(/^file 0644 \d+:\d+ through two links$/);
  });

  it("a member under a directory the image has as a symlink lands at the link's target", async () => {
    const ctx = await makeTree({});
    await tarOf(ctx, 'c.tar', { 'var/run/y': 'y' });
    const lower = await makeTree({ run: null, 'var/run': { link: '/run' } });
    const set = await (await openContext(ctx)).resolveSources(['c.tar']);
    const staging = await tempDir();
    await addInto(staging, set, '/', { workdir: '/', lowerDirs: [lower] });
    const tree = listTree(staging);
    expect(tree['run/y']).toMatch(/^file 0644 \d+:\d+ y$/);
    expect(tree['var/run']).toBeUndefined();
  });
});

describe('ADD URL', () => {
  const body = 'remote bytes\n';
  let base = '';
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/files/tool.sh')) {
      res.writeHead(200, { 'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
      res.end(body);
    } else {
      res.writeHead(404);
      res.end('nope');
    }
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** The body as a build has it: fetched into a store by the fetcher. */
  async function fetched(url: string) {
    const store = await Store.open(await tempDir());
    return new UrlFetcher(store).resolve(url);
  }

  it('writes the fetched body with a matching checksum, named from the URL, mode 0600', async () => {
    const staging = await tempDir();
    const url = `${base}/files/tool.sh?x=1`;
    const res = await addUrl(staging, url, '/usr/local/bin/', {
      workdir: '/',
      checksum: sha256(body),
      content: await fetched(url),
    });
    expect(res).toMatchObject({ digest: sha256(body), fileName: 'tool.sh', files: 1, bytes: body.length });
    const file = path.join(staging, 'usr/local/bin/tool.sh');
    expect(readFileSync(file, 'utf8')).toBe(body);
    expect(statSync(file).mode & 0o7777).toBe(0o600);
    expect(statSync(file).mtimeMs).toBe(Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'));
  });

  it('writes nothing on a checksum mismatch; a bad status fails the fetch', async () => {
    const staging = await tempDir();
    const bad = `sha256:${'0'.repeat(64)}`;
    const url = `${base}/files/tool.sh`;
    await expect(
      addUrl(staging, url, '/x', { workdir: '/', checksum: bad, content: await fetched(url) }),
    ).rejects.toBeInstanceOf(DigestMismatchError);
    expect(listTree(staging)).toEqual({});
    await expect(fetched(`${base}/missing`)).rejects.toThrow(/add: GET .*\/missing: 404/);
  });

  it('falls back to "download" for unusable names', () => {
    expect(urlFileName(new URL('http://h/'))).toBe('__unnamed__');
    expect(urlFileName(new URL('http://h/a/%2e%2e'))).toBe('__unnamed__');
    expect(urlFileName(new URL('http://h/a/b%20c.tgz'))).toBe('b c.tgz');
  });
});
