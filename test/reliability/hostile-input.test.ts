/**
 * Hostile input, end to end through the CLI (table built from security.md sections 2-5):
 *   - layer tars (containerd TestBreakouts, go-archive TestUntarInvalid*, node-tar and
 *     tar-fs CVEs) inside crafted `docker save` archives given to `strata load`;
 *   - import archives whose digests lie, or whose members are missing or malformed;
 *   - build contexts that reach outside (`../`, absolute sources, symlinks out, fifos);
 *   - Dockerfiles: a bounded fuzz of `strata build --dry-run` over mutated real Dockerfiles.
 * Each input is either rejected with a clear error (a stable exit code, no "internal
 * error") and the store is byte-for-byte unchanged, or it is confined (loaded as data inside
 * the store). Either way the sentinel dir beside the store is untouched.
 * (Registry replies: test/core/registry/pull-hostile.test.ts covers that table.)
 * Needs root (device nodes, ownership in layers); fails, never skips, without it.
 */

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  appendFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOciDir } from '../../core/export/export-oci-dir.js';
import { blobPath } from '../../core/export/layout-entries.js';
import { normalizeRef } from '../../core/image/reference.js';
import { chainIds } from '../../core/oci/digest.js';
import type { ImageConfig, Index, Manifest } from '../../core/oci/types.js';
import { Store } from '../../store/store.js';
import { expectUserFilesKept, makeOpaqueRootBase, makeUserDir } from '../e2e/helpers/export-target.js';
import { requireRoot, useTempDirs } from '../e2e/helpers/index.js';
import { makeStoreImage } from '../e2e/helpers/store-image.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { strata } from '../helpers/cli.js';
import { gzipBomb, ZERO_RUN_BYTES } from '../helpers/gzip-bomb.js';
import { HOSTILE_HEADERS, headerBlock } from '../helpers/hostile-tar-headers.js';
import { dockerArchive, hex, type RawEntry, rawTar } from './helpers/docker-archive.js';
import { useFigures } from './helpers/figures.js';
import { fsckStore, problemLines } from './helpers/store-checks.js';
import { snapshotTree, treeDiff } from './helpers/store-tree.js';

const tmp = useTempDirs();
const figures = useFigures(import.meta.filename);

let base: string;
let root: string;
let outside: string;
let outsideBefore: Map<string, string>;
const VICTIM = 'victim.txt';

beforeAll(async () => {
  requireRoot();
  base = await tmp('strata-hostile-');
  root = join(base, 'store');
  outside = join(base, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, VICTIM), 'sentinel\n');
  await importBusybox(root);
  outsideBefore = await snapshotTree(outside);
}, 60_000);

async function expectOutsideUntouched(): Promise<void> {
  expect(treeDiff(outsideBefore, await snapshotTree(outside))).toEqual([]);
  // Nothing new beside the store either (an escape would most likely land here or in /).
  expect((await readdir(base)).sort()).toEqual(['outside', 'store']);
}

/** The attack class of the running test: its describe block's name. */
function attackClass(): string {
  return expect.getState().currentTestName?.split(' > ')[0] ?? 'other';
}

/** Runs strata; the input must be refused cleanly and leave the store exactly as it was. */
async function expectRejected(args: string[], message: RegExp, opts: { cwd?: string } = {}): Promise<void> {
  figures.attack(attackClass());
  const before = await snapshotTree(root);
  const r = await strata(args, opts);
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.code, r.stderr).not.toBe(70);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.stderr).toMatch(message);
  expect(treeDiff(before, await snapshotTree(root))).toEqual([]);
  await expectOutsideUntouched();
}

/** Runs strata; the input must be accepted and stay inside the store. */
async function expectConfined(args: string[], opts: { cwd?: string } = {}): Promise<void> {
  figures.attack(attackClass());
  const r = await strata(args, opts);
  expect(r.code, r.stderr).toBe(0);
  await expectOutsideUntouched();
  const report = await fsckStore(root);
  figures.fsckRan(report.problems.length === 0);
  expect(problemLines(report)).toEqual([]);
}

async function archiveFile(
  layers: Buffer[],
  opts: Parameters<typeof dockerArchive>[1] = {},
): Promise<string> {
  const file = join(await tmp('strata-hostile-archive-'), 'image.tar');
  await writeFile(file, await dockerArchive(layers, opts));
  return file;
}

/** The diff dir of the single layer of a loaded image. */
async function loadedLayerDir(tag: string): Promise<string> {
  const store = await Store.open(root);
  const target = await store.getRef(normalizeRef(tag));
  const config = await store.readJsonBlob<ImageConfig>(target!.config);
  const chain = chainIds(config.rootfs.diff_ids);
  return store.diffPath(chain[chain.length - 1]);
}

/** Escapes from the staging dir (<root>/layers/.staging-x/diff) to the sentinel dir. */
const UP = '../../../../outside';

type Case = { name: string; entries: () => RawEntry[]; error: RegExp };

const REJECTED: Case[] = [
  {
    name: '../ name',
    entries: () => [{ name: `${UP}/pwned`, data: 'x' }],
    error: /outside|escape|not local/i,
  },
  {
    name: 'a/../../ name',
    entries: () => [{ name: 'a/../../../../../outside/pwned', data: 'x' }],
    error: /outside|escape|not local/i,
  },
  {
    name: 'write through an absolute symlink',
    entries: () => [
      { name: 'l', type: 'symlink', linkname: outside },
      { name: 'l/pwned', data: 'x' },
    ],
    error: /symlink/i,
  },
  {
    name: 'write through a relative symlink that climbs out',
    entries: () => [
      { name: 'l', type: 'symlink', linkname: UP },
      { name: 'l/pwned', data: 'x' },
    ],
    error: /symlink/i,
  },
  {
    name: 'dir, then a symlink of the same name, then a file below (node-tar CVE-2021-32803)',
    entries: () => [
      { name: 'd/', type: 'directory' },
      { name: 'd', type: 'symlink', linkname: outside },
      { name: 'd/pwned', data: 'x' },
    ],
    error: /symlink/i,
  },
  {
    name: 'hardlink to a relative path outside',
    entries: () => [{ name: 'h', type: 'link', linkname: `${UP}/${VICTIM}` }],
    error: /link/i,
  },
  {
    name: 'hardlink to an absolute host path',
    entries: () => [{ name: 'h', type: 'link', linkname: join(outside, VICTIM) }],
    error: /link/i,
  },
  {
    name: 'hardlink through a symlink (containerd HardlinkSymlinkChmod)',
    entries: () => [
      { name: 'l', type: 'symlink', linkname: outside },
      { name: 'h', type: 'link', linkname: `l/${VICTIM}` },
    ],
    error: /link/i,
  },
  { name: 'bare .wh.', entries: () => [{ name: 'a/.wh.' }], error: /whiteout|\.wh\./i },
  { name: '.wh.. (whiteout of the parent)', entries: () => [{ name: '.wh..' }], error: /whiteout|\.wh\./i },
  { name: '.wh... climbing', entries: () => [{ name: 'a/.wh...' }], error: /whiteout|\.wh\.|outside/i },
  { name: 'whiteout with data', entries: () => [{ name: '.wh.f', data: 'data' }], error: /whiteout|\.wh\./i },
  {
    name: 'whiteout as a symlink to outside',
    entries: () => [{ name: '.wh.x', type: 'symlink', linkname: outside }],
    error: /whiteout|\.wh\./i,
  },
  {
    name: 'char device 0:0 (would mean "deleted" in overlay form)',
    entries: () => [{ name: 'null0', type: 'character-device', devmajor: 0, devminor: 0 }],
    error: /0:0|whiteout|device/i,
  },
  { name: 'newline in a name', entries: () => [{ name: 'evil\nname', data: 'x' }], error: /name|control/i },
];

describe('layer tars through strata load', () => {
  it.each(REJECTED.map((c) => [c.name, c]))('rejects: %s', async (_name, c) => {
    const file = await archiveFile([await rawTar((c as Case).entries())]);
    await expectRejected(['load', '--root', root, '-i', file], (c as Case).error);
  });

  it('rejects a truncated layer (header promises more than is there) and a corrupt gzip layer', async () => {
    const full = await rawTar([{ name: 'f', data: Buffer.alloc(4000, 7) }]);
    const cut = full.subarray(0, 512 + 1000);
    await expectRejected(
      ['load', '--root', root, '-i', await archiveFile([cut], { diffIds: [`sha256:${hex(full)}`] })],
      /truncat|unexpected end|short/i,
    );
    const gz = gzipSync(full);
    gz[gz.length - 12] ^= 0xff;
    await expectRejected(
      ['load', '--root', root, '-i', await archiveFile([gz], { diffIds: [`sha256:${hex(full)}`] })],
      /gzip|invalid|corrupt|check|digest/i,
    );
  });

  it('rejects a GNU sparse entry and an unknown entry type', async () => {
    const sparse = await rawTar([{ name: 's', data: 'x' }]);
    setTypeflag(sparse, 'S');
    await expectRejected(
      ['load', '--root', root, '-i', await archiveFile([sparse])],
      /sparse|type|unsupported/i,
    );
    const odd = await rawTar([{ name: 'z', data: 'x' }]);
    setTypeflag(odd, 'Z');
    await expectRejected(['load', '--root', root, '-i', await archiveFile([odd])], /type|unsupported/i);
  });

  it('confines: absolute and //-prefixed names land inside the layer', async () => {
    const tar = await rawTar([
      { name: `/${outside.slice(1)}/abs`, data: 'a' },
      { name: `////${outside.slice(1)}/slashes`, data: 'b' },
    ]);
    await expectConfined(['load', '--root', root, '-i', await archiveFile([tar], { tag: 'abs:1' })]);
    const dir = await loadedLayerDir('abs:1');
    expect(await readFile(join(dir, outside, 'abs'), 'utf8')).toBe('a');
    expect(await readFile(join(dir, outside, 'slashes'), 'utf8')).toBe('b');
  });

  it('confines: symlinks whose targets escape are kept verbatim, never followed', async () => {
    const tar = await rawTar([
      { name: 'abs', type: 'symlink', linkname: join(outside, VICTIM) },
      { name: 'rel', type: 'symlink', linkname: `${UP}/${VICTIM}` },
      { name: '.', type: 'symlink', linkname: outside },
      { name: 'inside', data: 'ok' },
    ]);
    await expectConfined(['load', '--root', root, '-i', await archiveFile([tar], { tag: 'links:1' })]);
    const dir = await loadedLayerDir('links:1');
    expect(await readlink(join(dir, 'abs'))).toBe(join(outside, VICTIM));
    expect(await readlink(join(dir, 'rel'))).toBe(`${UP}/${VICTIM}`);
    expect((await lstat(dir)).isDirectory()).toBe(true);
    expect(await readFile(join(dir, 'inside'), 'utf8')).toBe('ok');
  });

  it('confines: a file written over a hardlink does not change the other name (tar-fs GHSA-x2mc-8fgj-3wmr)', async () => {
    const tar = await rawTar([
      { name: 'a', data: 'original' },
      { name: 'h', type: 'link', linkname: 'a' },
      { name: 'h', data: 'overwritten' },
    ]);
    await expectConfined(['load', '--root', root, '-i', await archiveFile([tar], { tag: 'hl:1' })]);
    const dir = await loadedLayerDir('hl:1');
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('original');
    expect(await readFile(join(dir, 'h'), 'utf8')).toBe('overwritten');
  });

  it('confines: device nodes, a fifo and a setuid file are kept as data in a 0700 store', async () => {
    const tar = await rawTar([
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 },
      { name: 'pipe', type: 'fifo' },
      { name: 'suid', data: '#!/bin/sh\n', mode: 0o4755, uid: 0, gid: 0 },
    ]);
    await expectConfined(['load', '--root', root, '-i', await archiveFile([tar], { tag: 'dev:1' })]);
    const dir = await loadedLayerDir('dev:1');
    const nul = await lstat(join(dir, 'dev/null'));
    expect(nul.isCharacterDevice()).toBe(true);
    expect(nul.rdev).toBe(0x103);
    expect((await lstat(join(dir, 'dev/sda'))).isBlockDevice()).toBe(true);
    expect((await lstat(join(dir, 'pipe'))).isFIFO()).toBe(true);
    expect((await stat(join(dir, 'suid'))).mode & 0o7777).toBe(0o4755);
    // Host users cannot reach them: the store root is the builder's alone.
    expect((await stat(root)).mode & 0o777).toBe(0o700);
  });
});

describe('import archives that lie', () => {
  it('a config whose content does not match its <digest>.json name', async () => {
    const layer = await rawTar([{ name: 'f', data: 'x' }]);
    const file = await archiveFile([layer], { configName: `${hex('something else')}.json` });
    await expectRejected(['load', '--root', root, '-i', file], /hashes to sha256:/);
  });

  it('a diff_id that is not the layer content', async () => {
    const layer = await rawTar([{ name: 'f', data: 'x' }]);
    const file = await archiveFile([layer], { diffIds: [`sha256:${hex('not the layer')}`] });
    await expectRejected(
      ['load', '--root', root, '-i', file],
      /uncompressed content is sha256:.*the image config says/,
    );
  });

  it('a second layer that lies: the first (good) one is not committed either', async () => {
    const good = await rawTar([{ name: 'good', data: 'g' }]);
    const bad = await rawTar([{ name: 'bad', data: 'b' }]);
    const file = await archiveFile([good, bad], { diffIds: [`sha256:${hex(good)}`, `sha256:${hex('lie')}`] });
    await expectRejected(['load', '--root', root, '-i', file], /the image config says/);
  });

  it('missing manifest.json, a layer path that climbs out, a manifest that is not a list, not a tar at all', async () => {
    const dir = await tmp('strata-hostile-arch-');
    const noManifest = join(dir, 'a.tar');
    await writeFile(noManifest, await rawTar([{ name: 'x.json', data: '{}' }]));
    await expectRejected(['load', '--root', root, '-i', noManifest], /no manifest\.json or index\.json/);
    const climbing = join(dir, 'b.tar');
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [`sha256:${hex('x')}`] },
    });
    await writeFile(
      climbing,
      await rawTar([
        {
          name: 'manifest.json',
          data: JSON.stringify([{ Config: 'c.json', Layers: [`../../outside/${VICTIM}`] }]),
        },
        { name: 'c.json', data: config },
      ]),
    );
    await expectRejected(
      ['load', '--root', root, '-i', climbing],
      /no file \.\.\/\.\.\/outside\/victim\.txt in the archive/,
    );
    const notList = join(dir, 'c.tar');
    await writeFile(notList, await rawTar([{ name: 'manifest.json', data: '{"Config": 1}' }]));
    await expectRejected(['load', '--root', root, '-i', notList], /not a list/);
    const junk = join(dir, 'd.tar');
    await writeFile(junk, Buffer.alloc(3000, 0x41));
    await expectRejected(['load', '--root', root, '-i', junk], /tar|archive|invalid/i);
  });
});

describe('build contexts that reach outside', () => {
  async function context(dockerfile: string): Promise<string> {
    const dir = join(await tmp('strata-hostile-ctx-'), 'ctx');
    await mkdir(dir);
    await writeFile(join(dir, 'Dockerfile'), dockerfile);
    await writeFile(join(dir, 'ok.txt'), 'ok\n');
    return dir;
  }
  const build = (ctx: string) => ['build', '--root', root, '--progress', 'plain', ctx];

  it('COPY ../ sources are refused', async () => {
    const ctx = await context(`FROM scratch\nCOPY ../../outside/${VICTIM} /x\n`);
    await expectRejected(build(ctx), /forbidden path outside the build context/);
  });

  it('an absolute COPY source means the context, not the host', async () => {
    const ctx = await context('FROM scratch\nCOPY /etc/passwd /x\n');
    await expectRejected(build(ctx), /not found in the build context/);
  });

  it('symlinks in the context that point out (file and dir) are refused as sources', async () => {
    const ctx = await context('FROM scratch\nCOPY out /x\n');
    await symlink(join(outside, VICTIM), join(ctx, 'out'));
    await expectRejected(build(ctx), /symlink that points outside the build context/);
    const ctx2 = await context(`FROM scratch\nCOPY dir/${VICTIM} /x\n`);
    await symlink('../../outside', join(ctx2, 'dir'));
    await expectRejected(build(ctx2), /symlink that points outside the build context/);
  });

  it('a fifo in the context is copied as a fifo: never opened, so the build cannot hang', async () => {
    const ctx = await context('FROM scratch\nCOPY . /\n');
    execFileSync('mkfifo', [join(ctx, 'pipe')]);
    const out = await tmp('strata-hostile-out-');
    await expectConfined([...build(ctx).slice(0, -1), '--output', `type=local,dest=${out}`, ctx]);
    expect((await lstat(join(out, 'pipe'))).isFIFO()).toBe(true);
  });

  it('a context symlink to an ignored file is not a way around .dockerignore', async () => {
    const ctx = await context('FROM scratch\nCOPY link /x\n');
    await writeFile(join(ctx, 'secret.key'), 'secret\n');
    await writeFile(join(ctx, '.dockerignore'), 'secret.key\n');
    await symlink('secret.key', join(ctx, 'link'));
    const r = await strata([
      ...build(ctx).slice(0, -1),
      '--output',
      `type=local,dest=${await tmp('strata-hostile-out-')}`,
      ctx,
    ]);
    figures.attack(attackClass());
    // Either refused, or the link arrives as a link: the ignored content never enters a layer.
    if (r.code === 0) {
      const store = await Store.open(root);
      for (const l of await store.listLayers()) {
        const x = join(store.diffPath(l.chainId), 'x');
        const st = await lstat(x).catch(() => undefined);
        if (st?.isFile()) expect(await readFile(x, 'utf8')).not.toBe('secret\n');
      }
    } else {
      expect(r.code).not.toBe(70);
    }
    await expectOutsideUntouched();
  });

  it('the store is still consistent after all of the above', async () => {
    const report = await fsckStore(root);
    figures.fsckRan(report.problems.length === 0);
    expect(problemLines(report)).toEqual([]);
  });
});

describe('export-target', () => {
  // Outputs aimed at what a user or another user prepared: the local exporter must add the
  // image to D and never delete or follow what D holds; archive and layout outputs must
  // never write through a planted name. The victims are in the sentinel dir `outside`.
  let ctx: string;
  beforeAll(async () => {
    await makeOpaqueRootBase(await Store.open(root), 'opaque-root:1');
    ctx = join(await tmp('strata-hostile-ctx-'), 'ctx');
    await mkdir(ctx);
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM opaque-root:1\nRUN rm -rf /tmp && echo built > /built.txt\n',
    );
  }, 60_000);

  const userDir = async () => makeUserDir(join(await tmp('strata-hostile-out-'), 'out'));

  const local = (d: string) => ['build', '--root', root, '-q', '--output', `type=local,dest=${d}`, ctx];

  it('local export of an opaque-root image that deletes /tmp keeps all of D', async () => {
    const d = await userDir();
    await expectConfined(local(d));
    await expectUserFilesKept(d);
    expect(await readFile(join(d, 'built.txt'), 'utf8')).toBe('built\n');
  });

  it('local export does not write through a symlink planted in D', async () => {
    for (const [name, target] of [
      ['etc', outside],
      ['bin', '../../../outside'],
    ]) {
      figures.attack(attackClass());
      const d = await userDir();
      await symlink(target, join(d, name));
      const r = await strata(local(d));
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${name} \\(the image has a directory`));
      await expectOutsideUntouched();
      await expectUserFilesKept(d);
    }
  });

  it('archive outputs do not follow a symlink at the old temp name or at F', async () => {
    const out = await tmp('strata-hostile-out-');
    const victim = join(outside, VICTIM);
    const tar = join(out, 'app.tar');
    await symlink(victim, `${tar}.tmp-${process.pid}`);
    await expectConfined(['save', '--root', root, '-o', tar, 'busybox:latest']);
    const oci = join(out, 'app.oci.tar');
    await symlink(victim, oci);
    await expectConfined([...local(oci).slice(0, 4), '--output', `type=oci,dest=${oci}`, ctx]);
    expect((await lstat(oci)).isFile()).toBe(true);
  });

  it('a directory as an archive dest is a clear error', async () => {
    const out = await tmp('strata-hostile-out-');
    await expectRejected(['save', '--root', root, '-o', out, 'busybox:latest'], /is a directory/);
  });

  it('the oci-dir exporter does not write blobs through a planted blobs/ symlink', async () => {
    const out = join(await tmp('strata-hostile-out-'), 'layout');
    await mkdir(out);
    await symlink(outside, join(out, 'blobs'));
    figures.attack(attackClass());
    const r = await strata([...local(out).slice(0, 4), '--output', `type=oci-dir,dest=${out}`, ctx]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/internal error/);
    await expectOutsideUntouched();
  });
});

// ---- Untrusted reads (issue 13, defects 6-8): tar headers, OCI layouts, load archives ----
// Each top-level describe is one attack class (attackClass() above).

describe('tar-header', () => {
  // The table of test/helpers/hostile-tar-headers.ts, as a layer and as the archive itself.
  it.each(HOSTILE_HEADERS.map((c) => [c.name, c] as const))(
    'rejects: %s',
    { timeout: 20_000 },
    async (_n, c) => {
      await expectRejected(['load', '--root', root, '-i', await archiveFile([c.tar()])], c.error);
      const whole = join(await tmp('strata-hostile-archive-'), 'image.tar');
      await writeFile(whole, c.tar());
      await expectRejected(['load', '--root', root, '-i', whole], c.error);
    },
  );
});

describe('oci-layout', () => {
  // Tampered oci-layout:// build contexts.
  let ctx: string;
  beforeAll(async () => {
    ctx = join(await tmp('strata-hostile-ctx-'), 'ctx');
    await mkdir(ctx);
    await writeFile(join(ctx, 'Dockerfile'), 'FROM base\n');
  });

  /** A layout of a fresh image, then `tamper` on it, then a build FROM it. */
  async function attack(
    tamper: (dir: string, manifest: Manifest) => Promise<void>,
    message: RegExp,
  ): Promise<void> {
    // An image the store has never seen, so that its layer blob is read.
    const src = await Store.open(await tmp('strata-hostile-src-'));
    const fresh = await makeStoreImage(src, [(d) => writeFile(join(d, 'new'), randomUUID())]);
    const dir = join(await tmp('strata-hostile-layout-'), 'layout');
    await exportOciDir(src, { config: fresh.config }, dir, { tags: ['example.com/img:v1'] });
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Index;
    const manifest = JSON.parse(
      await readFile(join(dir, blobPath(index.manifests[0].digest)), 'utf8'),
    ) as Manifest;
    await tamper(dir, manifest);
    const args = ['build', '--root', root, '--build-context', `base=oci-layout://${dir}:v1`, ctx];
    await expectRejected(args, message);
  }
  const swap = async (file: string, target: string) => {
    await rm(file, { recursive: true });
    await symlink(target, file);
  };

  it('a layer blob that is a symlink to /dev/zero (once: out of memory)', { timeout: 20_000 }, async () => {
    await attack((dir, m) => swap(join(dir, blobPath(m.layers[0].digest)), '/dev/zero'), /is a symlink/);
  });
  it('a config blob that is a symlink to a host file', async () => {
    await attack(
      (dir, m) => swap(join(dir, blobPath(m.config.digest)), join(outside, VICTIM)),
      /is a symlink/,
    );
  });
  it('index.json as a symlink to /dev/zero', { timeout: 20_000 }, async () => {
    await attack((dir) => swap(join(dir, 'index.json'), '/dev/zero'), /is a symlink/);
  });
  it('a layer blob larger than its descriptor', async () => {
    await attack(
      (dir, m) => appendFile(join(dir, blobPath(m.layers[0].digest)), Buffer.alloc(1 << 20)),
      /its descriptor says/,
    );
  });
  it('a layer blob that is a fifo (no writer: the open must not wait)', { timeout: 20_000 }, async () => {
    await attack(async (dir, m) => {
      const file = join(dir, blobPath(m.layers[0].digest));
      await rm(file);
      execFileSync('mkfifo', [file]);
    }, /not a regular file/);
  });
  it('a layer blob of the right size with other bytes', async () => {
    await attack(async (dir, m) => {
      const file = join(dir, blobPath(m.layers[0].digest));
      const bytes = await readFile(file);
      bytes[bytes.length - 1] ^= 0xff;
      await rm(file);
      await writeFile(file, bytes);
    }, /content is sha256:|hashes to|gzip|compressed/);
  });
});

describe('load-archive', () => {
  // Archives given to strata load: bombs, and what a killed load leaves.

  it('a 2 MB gzip that unpacks to 2 GiB: refused at its header, nothing kept', {
    timeout: 30_000,
  }, async () => {
    const file = join(await tmp('strata-hostile-archive-'), 'bomb.tar.gz');
    await writeFile(file, gzipBomb(headerBlock({ name: 'layer.tar', size: 32 * ZERO_RUN_BYTES }), 32));
    await expectRejected(['load', '--root', root, '-i', file], /--max-uncompressed/);
  });

  it('a gzip layer bomb inside a small plain archive: stopped at the cap', {
    timeout: 30_000,
  }, async () => {
    const layer = gzipBomb(headerBlock({ name: 'zeros', size: 32 * ZERO_RUN_BYTES }), 32);
    await expectRejected(['load', '--root', root, '-i', await archiveFile([layer])], /--max-uncompressed/);
  });

  it('the scratch file of a killed load is swept by the next command', async () => {
    figures.attack(attackClass());
    const dead = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']));
    const leftover = join(root, 'ingest', `.scratch-${dead}.0.0123456789abcdef`);
    await writeFile(leftover, Buffer.alloc(1 << 20));
    const r = await strata(['images', '--root', root]);
    expect(r.code, r.stderr).toBe(0);
    await expect(stat(leftover)).rejects.toThrow(/ENOENT/);
  });

  it('the store is still consistent after all of the above', async () => {
    const report = await fsckStore(root);
    figures.fsckRan(report.problems.length === 0);
    expect(problemLines(report)).toEqual([]);
  });
});

/** Rewrites the typeflag of the first header and fixes its checksum. */
function setTypeflag(tar: Buffer, flag: string): void {
  tar[156] = flag.charCodeAt(0);
  tar.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += tar[i];
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
}
