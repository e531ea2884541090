import { execFileSync } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { setAttributeSync } from '@napi-rs/xattr';
import { describe, expect, it } from 'vitest';
import { copyInto } from '../../../core/copy/copy-into.js';
import { LayerSource } from '../../../core/copy/layer-source.js';
import { resolveOwner } from '../../../core/copy/resolve-owner.js';
import { NotFoundError } from '../../../core/oci/errors.js';
import { listTree, makeTree, tempDir } from './helpers.js';

const whiteout = (p: string): void => {
  execFileSync('mknod', [p, 'c', '0', '0']);
};

async function stack() {
  const bottom = await makeTree({
    'app/keep.txt': 'keep',
    'app/gone.txt': 'gone',
    'app/cfg/old.conf': 'old',
    'opq/lower.txt': 'lower',
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n',
    'etc/group': 'root:x:0:\nstaff:x:50:\n',
  });
  const top = await makeTree({ 'app/new.txt': 'new', 'opq/upper.txt': 'upper', 'app/cfg': null });
  whiteout(path.join(top, 'app/gone.txt'));
  setAttributeSync(path.join(top, 'opq'), 'trusted.overlay.opaque', 'y');
  whiteout(path.join(top, 'app/cfg/old.conf'));
  return [top, bottom];
}

describe('LayerSource', () => {
  it('merges layers with whiteouts and opaque directories', async () => {
    const src = await LayerSource.open(await stack());
    const app = await src.resolveSources(['/app']);
    expect((await app.checksum()).files.map((f) => f.path)).toEqual(['.', 'cfg', 'keep.txt', 'new.txt']);
    const opq = await src.resolveSources(['opq/*']);
    expect(opq.matches.map((m) => m.path)).toEqual(['opq/upper.txt']);
    await expect(src.resolveSources(['app/gone.txt'])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('copies through the merged view, keeping owners without --chown', async () => {
    const layers = await stack();
    await makeTree({ 'bin/tool': 'x' }, layers[1]);
    execFileSync('chown', ['1000:1001', path.join(layers[1], 'bin/tool')]);
    await chmod(path.join(layers[1], 'bin/tool'), 0o750);
    const src = await LayerSource.open(layers);
    const staging = await tempDir();
    await copyInto(staging, await src.resolveSources(['/app', '/bin/tool']), '/out/', { workdir: '/' });
    expect(listTree(staging)).toEqual({
      out: 'dir 0755 0:0',
      'out/cfg': 'dir 0755 0:0',
      'out/keep.txt': 'file 0644 0:0 keep',
      'out/new.txt': 'file 0644 0:0 new',
      'out/tool': 'file 0750 1000:1001 x',
    });
  });

  it('resolves symlinks inside the image root only', async () => {
    const layer = await makeTree({
      'real/f': 'in image',
      abs: { link: '/real' },
      up: { link: '../../../../real' },
    });
    const src = await LayerSource.open([layer]);
    for (const via of ['abs/f', 'up/f']) {
      const set = await src.resolveSources([via]);
      expect(set.matches[0].entries[0].abs).toBe(path.join(layer, 'real/f'));
    }
  });

  it('changes its checksum when a layer above whites a file out', async () => {
    const [top, bottom] = await stack();
    const below = await (await (await LayerSource.open([bottom])).resolveSources(['app'])).checksum();
    const merged = await (await (await LayerSource.open([top, bottom])).resolveSources(['app'])).checksum();
    expect(merged.digest).not.toBe(below.digest);
  });
});

describe('resolveOwner', () => {
  it('reads names from /etc/passwd and /etc/group through the layers', async () => {
    const layers = await stack();
    expect(await resolveOwner(layers, 'app')).toEqual({ uid: 1000, gid: 1001 });
    expect(await resolveOwner(layers, 'app:staff')).toEqual({ uid: 1000, gid: 50 });
    expect(await resolveOwner(layers, '42')).toEqual({ uid: 42, gid: 42 });
    expect(await resolveOwner(layers, '42:staff')).toEqual({ uid: 42, gid: 50 });
    expect(await resolveOwner([], '7:8')).toEqual({ uid: 7, gid: 8 });
    await expect(resolveOwner(layers, 'nobody')).rejects.toThrow(
      'resolve owner: user "nobody" for --chown=nobody: not found in /etc/passwd',
    );
    await expect(resolveOwner([], 'app')).rejects.toThrow(/no \/etc\/passwd in the image/);
  });

  it('honours a whiteout of /etc/passwd and never follows a link out of the layers', async () => {
    const [top, bottom] = await stack();
    whiteout(path.join(await makeTree({ etc: null }, top), 'etc/passwd'));
    await expect(resolveOwner([top, bottom], 'app')).rejects.toBeInstanceOf(NotFoundError);
    // A passwd symlink to a host file resolves inside the image (where there is none).
    const evil = await makeTree({ 'etc/passwd': { link: '/etc/hostname' } });
    await expect(resolveOwner([evil], 'root')).rejects.toThrow(/no \/etc\/passwd in the image/);
  });
});
