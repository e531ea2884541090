/**
 * core/diff with real whiteout devices, trusted.* xattrs, device nodes and overlay mounts.
 * Needs root: fails (never skips) without it.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { getAttributeSync, listAttributesSync, setAttributeSync } from '@napi-rs/xattr';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyLayer } from '../../core/diff/apply-layer.js';
import { changes } from '../../core/diff/changes.js';
import { normalizeUpperDir } from '../../core/diff/normalize-upper-dir.js';
import { snapshotDiff } from '../../core/diff/snapshot-diff.js';
import { writeLayerTar } from '../../core/diff/write-layer-tar.js';
import { cleanup, readBack, snapshotTree, streamOf, tempDir } from '../core/diff/fixtures.js';

beforeAll(() => {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'test/e2e/diff-overlay.test.ts must run as root: it makes device nodes, trusted.* xattrs and overlay mounts',
    );
  }
});

const dirs: string[] = [];
afterEach(() => cleanup(...dirs.splice(0)));

// vfs_cap_data revision 2, effective, permitted = CAP_SETUID (bit 7): contains byte 0x80,
// which a utf-8 PAX encoder would mangle.
const CAP = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

function sh(cmd: string, ...args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

async function tarBytes(root: string): Promise<{ tar: Buffer; diffId: string }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const r = await writeLayerTar(root, out, { sourceDateEpoch: 1_600_000_000 });
  return { tar: Buffer.concat(chunks), diffId: r.diffId };
}

function isWhiteoutAt(p: string): boolean {
  const st = lstatSync(p);
  return st.isCharacterDevice() && st.rdev === 0;
}

describe('overlay-form layers (root)', () => {
  it('writes whiteouts, opaque dirs, capabilities and devices, and applyLayer restores them', async () => {
    const base = tempDir();
    dirs.push(base);
    const src = path.join(base, 'src');
    mkdirSync(path.join(src, 'opq'), { recursive: true });
    writeFileSync(path.join(src, 'opq/kept'), 'k');
    setAttributeSync(path.join(src, 'opq'), 'trusted.overlay.opaque', 'y');
    sh('mknod', '-m', '000', path.join(src, 'gone'), 'c', '0', '0');
    sh('mknod', '-m', '666', path.join(src, 'null'), 'c', '1', '3');
    sh('mknod', '-m', '644', path.join(src, 'fifo'), 'p');
    writeFileSync(path.join(src, 'ping'), '#!/bin/sh\n');
    chmodSync(path.join(src, 'ping'), 0o755);
    setAttributeSync(path.join(src, 'ping'), 'security.capability', CAP);

    const { tar, diffId } = await tarBytes(src);
    const names = (await readBack(tar)).map((e) => `${e.header.name}:${e.header.type}`);
    expect(names).toEqual([
      '.wh.gone:file',
      'fifo:fifo',
      'null:character-device',
      'opq/:directory',
      'opq/.wh..wh..opq:file',
      'opq/kept:file',
      'ping:file',
    ]);
    const rec = Buffer.concat([Buffer.from('SCHILY.xattr.security.capability='), CAP, Buffer.from('\n')]);
    expect(tar.includes(rec)).toBe(true);
    expect(tar.includes(Buffer.from('trusted.overlay'))).toBe(false);

    const dst = path.join(base, 'dst');
    mkdirSync(dst);
    const applied = await applyLayer(dst, streamOf(tar));
    expect(applied.diffId).toBe(diffId);
    expect(isWhiteoutAt(path.join(dst, 'gone'))).toBe(true);
    expect(getAttributeSync(path.join(dst, 'opq'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(getAttributeSync(path.join(dst, 'ping'), 'security.capability')?.equals(CAP)).toBe(true);
    expect(lstatSync(path.join(dst, 'null')).rdev).toBe(lstatSync('/dev/null').rdev);
    expect(lstatSync(path.join(dst, 'fifo')).isFIFO()).toBe(true);
    expect((await tarBytes(dst)).diffId).toBe(diffId);
    expect(readdirSync(base).sort()).toEqual(['dst', 'src']); // the whiteout template is gone
  });

  it('applies OCI whiteouts: shared whiteout inode, opaque markers, whiteout-then-dir', async () => {
    const base = tempDir();
    dirs.push(base);
    const root = path.join(base, 'root');
    mkdirSync(root);
    const { rawTar } = await import('../core/diff/fixtures.js');
    await applyLayer(
      root,
      streamOf(
        rawTar([
          { name: 'a/', type: 'dir' },
          { name: 'a/.wh.x' },
          { name: 'a/.wh.y' },
          { name: 'b/.wh..wh..opq' },
          { name: '.wh.c' },
          { name: 'c/', type: 'dir' },
          { name: 'c/new', body: 'n' },
          { name: 'd/.wh..wh.plnk' },
        ]),
      ),
    );
    expect(isWhiteoutAt(path.join(root, 'a/x'))).toBe(true);
    expect(lstatSync(path.join(root, 'a/x')).ino).toBe(lstatSync(path.join(root, 'a/y')).ino);
    expect(getAttributeSync(path.join(root, 'b'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(getAttributeSync(path.join(root, 'c'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(readdirSync(path.join(root, 'd'))).toEqual([]);
    expect(readdirSync(base)).toEqual(['root']);
  });

  it('normalizeUpperDir keeps only real changes of a RUN in a real overlay mount', async () => {
    const base = tempDir();
    dirs.push(base);
    const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => path.join(base, d));
    for (const d of [lower, upper, work, merged]) mkdirSync(d);
    mkdirSync(path.join(lower, 'dir/sub'), { recursive: true });
    mkdirSync(path.join(lower, 'same'), { recursive: true });
    mkdirSync(path.join(lower, 'deldir'), { recursive: true });
    for (const f of [
      'keep.txt',
      'chmod-same.txt',
      'opened.txt',
      'changed.txt',
      'del.txt',
      'moved.txt',
      'same/f',
      'deldir/x',
      'dir/sub/old',
    ]) {
      writeFileSync(path.join(lower, f), `content of ${f}\n`);
      chmodSync(path.join(lower, f), 0o644);
    }
    sh(
      'mount',
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${upper},workdir=${work},redirect_dir=off,metacopy=off,index=off`,
      merged,
    );
    try {
      const m = (f: string) => path.join(merged, f);
      chmodSync(m('chmod-same.txt'), 0o644); // copy-up, no change
      appendFileSync(m('opened.txt'), ''); // open for write: copy-up, no change
      writeFileSync(m('same/f'), 'content of same/f\n'); // rewritten with the same bytes
      writeFileSync(m('changed.txt'), 'new content\n');
      writeFileSync(m('dir/sub/new'), 'added\n');
      rmSync(m('del.txt'));
      rmSync(m('deldir'), { recursive: true });
      mkdirSync(m('deldir'));
      sh('mv', m('moved.txt'), m('tmp.txt'));
      sh('mv', m('tmp.txt'), m('moved.txt'));
    } finally {
      sh('umount', merged);
    }
    const before = snapshotTree(upper);
    expect(before.some((l) => l.includes('chmod-same.txt'))).toBe(true);
    const { removed } = await normalizeUpperDir(upper, [lower]);
    expect(removed).toBeGreaterThanOrEqual(5);
    const left = snapshotTree(upper).map((l) => l.split(' ').slice(0, 2).join(' '));
    expect(left).toEqual(['f changed.txt', 'o del.txt', 'd deldir', 'd dir', 'd dir/sub', 'f dir/sub/new']);
    expect(isWhiteoutAt(path.join(upper, 'del.txt'))).toBe(true);
    expect(getAttributeSync(path.join(upper, 'deldir'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    for (const p of ['changed.txt', 'deldir', 'dir', 'dir/sub', 'dir/sub/new']) {
      const xs = listAttributesSync(path.join(upper, p)).filter(
        (n) => n.startsWith('trusted.overlay.') && n !== 'trusted.overlay.opaque',
      );
      expect(xs, p).toEqual([]);
    }
    expect([...changes([lower], upper)]).toEqual([
      { kind: 'modify', path: 'changed.txt' },
      { kind: 'delete', path: 'del.txt' },
      { kind: 'modify', path: 'deldir' },
      { kind: 'delete', path: 'deldir/x' },
      { kind: 'modify', path: 'dir' },
      { kind: 'modify', path: 'dir/sub' },
      { kind: 'add', path: 'dir/sub/new' },
    ]);
    const names = (await readBack((await tarBytes(upper)).tar)).map((e) => e.header.name);
    expect(names).toEqual([
      '.wh.del.txt',
      'changed.txt',
      'deldir/',
      'deldir/.wh..wh..opq',
      'dir/',
      'dir/sub/',
      'dir/sub/new',
    ]);
  });

  it('snapshotDiff produces the same layer from two full trees', async () => {
    const base = tempDir();
    dirs.push(base);
    const [lower, after, out] = ['lower', 'after', 'out'].map((d) => path.join(base, d));
    mkdirSync(path.join(lower, 'etc/app'), { recursive: true });
    writeFileSync(path.join(lower, 'etc/app/conf'), 'a');
    writeFileSync(path.join(lower, 'etc/hosts'), 'h');
    writeFileSync(path.join(lower, 'etc/gone'), 'g');
    sh('cp', '-a', lower, after);
    mkdirSync(out);
    writeFileSync(path.join(after, 'etc/app/conf'), 'b');
    rmSync(path.join(after, 'etc/gone'));
    writeFileSync(path.join(after, 'new'), 'n');
    const { changed } = await snapshotDiff(lower, after, out);
    expect(changed).toBe(3);
    expect(isWhiteoutAt(path.join(out, 'etc/gone'))).toBe(true);
    const names = (await readBack((await tarBytes(out)).tar)).map((e) => e.header.name);
    expect(names).toEqual(['etc/', 'etc/.wh.gone', 'etc/app/', 'etc/app/conf', 'new']);
    expect(readdirSync(base).sort()).toEqual(['after', 'lower', 'out']);
  });
});
