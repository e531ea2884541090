/**
 * explore, blame and diff on an image built for the purpose with strata: a COPY writes
 * files, then one RUN overwrites one, deletes one, changes only the mode of another, makes
 * a hardlink, empties a directory and refills it (overlay makes it opaque) and copies a
 * file (duplicate content). The exact text is checked; the same image read from the store,
 * from a `docker save` tar and from an OCI layout directory must say the same; and the final
 * tree the explorer replays must be the tree LayerStack merges from the store's diff dirs.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exploreSpec } from '../../core/explore/index.js';
import { LayerStack } from '../../core/fs/layer-stack.js';
import { chainIds } from '../../core/oci/digest.js';
import { Store } from '../../store/index.js';
import { strataOk } from '../helpers/cli.js';
import { makeBusyboxRootfs, makeStoreImage, requireRoot, requireTool, useTempDirs } from './helpers/index.js';

const tempDir = useTempDirs('strata-explore-');
const RUN =
  'RUN echo new > /data/b.txt && rm /data/c.txt && chmod 755 /data/build.sh && rm -rf /data/sub && mkdir /data/sub && echo y > /data/sub/y && echo hh > /data/h1 && ln /data/h1 /data/h2 && cp /data/a.txt /data/a-copy';

let root: string;
let dir: string;
let ctxDir: string;
const cli = async (...args: string[]) => (await strataOk([args[0], '--root', root, ...args.slice(1)])).stdout;
const mask = (s: string) => s.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…').replace(/\d+(\.\d+)?kB/g, 'N kB');

beforeAll(async () => {
  requireRoot();
  requireTool('runc');
  root = await tempDir();
  dir = await tempDir();
  const ctx = join(dir, 'ctx');
  await mkdir(join(ctx, 'files/sub'), { recursive: true });
  for (const [name, body] of [
    ['a.txt', 'aaaa\n'],
    ['b.txt', 'bbbb\n'],
    ['c.txt', 'cccc\n'],
    ['build.sh', '#!/bin/sh\necho hi\n'],
    ['sub/x', 'x\n'],
  ])
    await writeFile(join(ctx, 'files', name), body);
  await chmod(join(ctx, 'files/build.sh'), 0o644);
  ctxDir = ctx;
  await writeFile(join(ctx, 'Dockerfile'), `FROM busybox\nCOPY files/ /data/\n${RUN}\n`);
  await makeStoreImage(await Store.open(root), [makeBusyboxRootfs], { tag: 'busybox:latest' });
  await strataOk(['build', '--root', root, '-q', '-t', 'i17-explore:1', ctx]);
  await strataOk(['save', '--root', root, '-o', join(dir, 'img.tar'), 'i17-explore:1']);
}, 300_000);

describe('explore on a purpose-built image', () => {
  it('--text lists each layer with its step, cache story, + ~ - ! lines and the waste', async () => {
    const text = mask(await cli('explore', '--text', 'i17-explore:1'));
    expect(text.split('\n')[0]).toBe(
      'i17-explore:1 sha256:…: 3 layers, 1.98MB of files, 35B wasted (efficiency 100.0%)',
    );
    expect(text.slice(text.indexOf('layer 2 ('))).toBe(
      [
        'layer 2 (line 2: COPY files/ /data/)',
        '  diffID sha256:…  chainID sha256:…  N kB',
        '  cache miss: no earlier build of this step',
        '  + /data',
        '  + /data/a.txt',
        '  + /data/b.txt',
        '  + /data/build.sh',
        '  + /data/c.txt',
        '  + /data/sub',
        '  + /data/sub/x',
        '  wasted: 30B',
        '',
        'layer 3 (line 3: RUN echo new > /data/b.txt && rm /data/c.txt && chmod 755 /…)',
        '  diffID sha256:…  chainID sha256:…  N kB',
        '  cache miss: the parent changed: cascade from [2/3] COPY files/ /data/, which missed',
        '  + /data/a-copy',
        '  ~ /data/b.txt (content (5 -> 4 bytes))',
        '  ~ /data/build.sh (mode 0644 -> 0755)',
        '  - /data/c.txt',
        '  + /data/h1',
        '  + /data/h2 (hardlink to /data/h1)',
        '  ! /data/sub',
        '  - /data/sub/x (via /data/sub)',
        '  + /data/sub/y',
        '  wasted: 5B',
        '',
        'largest waste:',
        '        18B  /data/build.sh: written by layer 2 (line 2: COPY files/ /data/), overwritten by layer 3 (line 3: RUN echo new > /data/b.txt && rm /data/c.txt && chmod 755 /…)',
        '         5B  /data/a-copy: duplicate of /data/a.txt, written by layer 3 (line 3: RUN echo new > /data/b.txt && rm /data/c.txt && chmod 755 /…)',
        '         5B  /data/b.txt: written by layer 2 (line 2: COPY files/ /data/), overwritten by layer 3 (line 3: RUN echo new > /data/b.txt && rm /data/c.txt && chmod 755 /…)',
        '         5B  /data/c.txt: written by layer 2 (line 2: COPY files/ /data/), deleted by layer 3 (line 3: RUN echo new > /data/b.txt && rm /data/c.txt && chmod 755 /…)',
        '         2B  /data/sub/x: written by layer 2 (line 2: COPY files/ /data/), deleted by layer 3 (line 3: RUN echo new > /data/b.txt && rm /data/c.txt && chmod 755 /…)',
        '',
      ].join('\n'),
    );
  });

  it('blame names the line that last wrote a path and every layer that touched it', async () => {
    expect(await cli('blame', 'i17-explore:1', '/data/build.sh')).toBe(
      [
        '/data/build.sh: last written by layer 3, line 3: RUN echo new > /data/b.txt && rm /data/c.txt && chmod 755 /…',
        '  added    layer 2, line 2: COPY files/ /data/',
        '  modified layer 3, line 3: RUN echo new > /data/b.txt && rm /data/c.txt && chmod 755 /… (mode 0644 -> 0755)',
        '',
      ].join('\n'),
    );
    const j = JSON.parse(await cli('blame', '--json', 'i17-explore:1', 'data/sub/x'));
    expect(j).toMatchObject({ path: '/data/sub/x', present: false, lastWrite: { layer: 1, line: 2 } });
    expect(j.touches.map((t: { status: string; via?: string }) => [t.status, t.via])).toEqual([
      ['added', undefined],
      ['deleted', 'data/sub'],
    ]);
  });

  it('diff against the base shares its layer and names the step of each path', async () => {
    const out = await cli('diff', 'busybox', 'i17-explore:1');
    expect(out.replace(/ \/…\)\]/g, ')]')).toBe(
      [
        'busybox (1 layers) -> i17-explore:1 (3 layers): 1 shared by chainID',
        '+ /data  [layer 2 (line 2: COPY files/ /data/)]',
        ...['a-copy', 'a.txt', 'b.txt', 'build.sh', 'h1', 'h2', 'sub', 'sub/y'].map(
          (p) =>
            `+ /data/${p}  [layer ${p === 'a.txt' ? '2 (line 2: COPY files/ /data/)' : '3 (line 3: RUN echo new > /data/b.txt && rm /data/c.txt && chmod 755)'}]`,
        ),
        '9 added, 0 removed, 0 changed',
        '',
      ].join('\n'),
    );
  });

  it('the replayed final tree is the tree LayerStack merges from the diff dirs', async () => {
    const store = await Store.open(root);
    const model = await exploreSpec('i17-explore:1', { cwd: dir, store: async () => store });
    const chain = chainIds(model.layers.map((l) => l.diffId));
    const stack = new LayerStack(chain.map((c) => store.diffPath(c)).reverse());
    const merged: string[] = [];
    const walk = (layers: readonly number[], rel: string) => {
      const names = new Set<string>();
      for (const i of layers)
        for (const c of stack.list({ abs: join(stack.layers[i], rel) } as never)) names.add(c.name);
      for (const name of names) {
        const p = rel === '' ? name : `${rel}/${name}`;
        const hit = stack.lookupIn(layers, p);
        if (!hit) continue;
        merged.push(`${p} ${hit.st.isDirectory() ? 'dir' : (hit.st.mode & 0o7777).toString(8)}`);
        if (hit.st.isDirectory()) walk(stack.childLayers(layers, p), p);
      }
    };
    walk(stack.rootLayers(), '');
    const replayed = [...model.files.live].map(([p, ev]) => {
      const e = ev.entry!;
      return `${p} ${e.kind === 'dir' ? 'dir' : e.mode.toString(8)}`;
    });
    expect(replayed.sort()).toEqual(merged.sort());
  });
  it('the store image, its docker save tar and an OCI layout of the same build read alike', async () => {
    const strip = (j: {
      layers: { changes: unknown; wastedBytes: number; diffId: string }[];
      waste: unknown;
    }) => ({
      layers: j.layers.map((l) => [l.diffId, l.changes, l.wastedBytes]),
      waste: j.waste,
    });
    const fromStore0 = strip(JSON.parse(await cli('explore', '--json', 'i17-explore:1')));
    // A second build of the same image (all hits) writes the layout; it runs last because
    // the image's cache story is that of the build that last made it.
    await strataOk([
      'build',
      '--root',
      root,
      '-q',
      '--output',
      `type=oci-dir,dest=${join(dir, 'layout')}`,
      ctxDir,
    ]);
    const fromStore = fromStore0;
    const fromTar = JSON.parse(await cli('explore', '--json', join(dir, 'img.tar')));
    const fromLayout = JSON.parse(await cli('explore', '--json', `oci-layout:${join(dir, 'layout')}`));
    expect(fromTar.kind).toBe('docker-archive');
    expect(fromLayout.kind).toBe('oci-layout');
    // Waste offenders name layers by index, so the whole structures compare equal.
    expect(strip(fromTar)).toEqual(fromStore);
    expect(strip(fromLayout)).toEqual(fromStore);
    // Without a build report the instruction comes from the image history.
    expect(fromTar.layers[1].instructionSource).toBe('history');
  });
});
