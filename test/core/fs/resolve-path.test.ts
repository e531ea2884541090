/**
 * One symlink table, every tree and policy: the host tree under `confine` (a build context),
 * the host tree under `clamp` (a container root), and a layer stack (clamp, the same files
 * split over two layers). Each row says what each policy makes of the path.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostTree } from '../../../core/fs/host-tree.js';
import { LayerStack } from '../../../core/fs/layer-stack.js';
import { SecurityError } from '../../../core/oci/errors.js';

type Outcome = { rel: string; exists: boolean } | 'outside' | 'loop';

interface Row {
  name: string;
  path: string;
  followFinal?: boolean;
  confine: Outcome;
  clamp: Outcome;
}

// The tree: files a, d/f; links of every shape. `HOST` stands for the tree's own host path.
const LINKS: Array<[string, string]> = [
  ['rel-file', 'a'],
  ['rel-dir', 'd'],
  ['abs-inside', 'HOST/d'],
  ['abs-root-like', '/d'],
  ['abs-outside', '/etc'],
  ['up-out', '../outside'],
  ['d/up-in', '../a'],
  ['d/up-twice', '../../a'],
  ['dangling', 'nothing/here'],
  ['loop1', 'loop2'],
  ['loop2', 'loop1'],
  ['chain1', 'chain2'],
  ['chain2', 'rel-dir'],
  ['d/self', '.'],
];

const ROWS: Row[] = [
  { name: 'plain file', path: 'a', confine: { rel: 'a', exists: true }, clamp: { rel: 'a', exists: true } },
  {
    name: 'relative link',
    path: 'rel-file',
    confine: { rel: 'a', exists: true },
    clamp: { rel: 'a', exists: true },
  },
  {
    name: 'final link kept when not following',
    path: 'rel-file',
    followFinal: false,
    confine: { rel: 'rel-file', exists: true },
    clamp: { rel: 'rel-file', exists: true },
  },
  {
    name: 'through a dir link',
    path: 'rel-dir/f',
    confine: { rel: 'd/f', exists: true },
    clamp: { rel: 'd/f', exists: true },
  },
  {
    name: 'absolute link to the host path inside',
    path: 'abs-inside/f',
    confine: { rel: 'd/f', exists: true },
    // Under chroot semantics the host path means nothing: it is looked up below the root.
    clamp: { rel: 'HOST/d/f', exists: false },
  },
  {
    name: 'absolute link read as root-relative',
    path: 'abs-root-like/f',
    confine: 'outside',
    clamp: { rel: 'd/f', exists: true },
  },
  {
    name: 'absolute link outside',
    path: 'abs-outside',
    confine: 'outside',
    clamp: { rel: 'etc', exists: false },
  },
  {
    name: 'relative link climbing out',
    path: 'up-out',
    confine: 'outside',
    clamp: { rel: 'outside', exists: false },
  },
  {
    name: '.. inside',
    path: 'd/up-in',
    confine: { rel: 'a', exists: true },
    clamp: { rel: 'a', exists: true },
  },
  { name: '.. twice', path: 'd/up-twice', confine: 'outside', clamp: { rel: 'a', exists: true } },
  {
    name: 'dangling',
    path: 'dangling',
    confine: { rel: 'nothing/here', exists: false },
    clamp: { rel: 'nothing/here', exists: false },
  },
  { name: 'loop', path: 'loop1', confine: 'loop', clamp: 'loop' },
  {
    name: 'chained',
    path: 'chain1/f',
    confine: { rel: 'd/f', exists: true },
    clamp: { rel: 'd/f', exists: true },
  },
  {
    name: 'self link',
    path: 'd/self/self/f',
    confine: { rel: 'd/f', exists: true },
    clamp: { rel: 'd/f', exists: true },
  },
  {
    name: 'below a file',
    path: 'a/x',
    confine: { rel: 'a/x', exists: false },
    clamp: { rel: 'a/x', exists: false },
  },
  {
    name: 'missing then ..',
    path: 'missing/../a',
    confine: { rel: 'a', exists: false },
    clamp: { rel: 'a', exists: false },
  },
];

let tmp: string;
let host: string;
let upper: string;
let lower: string;

function populate(root: string, hostPath: string, only?: (p: string) => boolean): void {
  mkdirSync(path.join(root, 'd'), { recursive: true });
  if (!only || only('a')) writeFileSync(path.join(root, 'a'), 'a');
  if (!only || only('d/f')) writeFileSync(path.join(root, 'd/f'), 'f');
  for (const [p, t] of LINKS)
    if (!only || only(p)) symlinkSync(t.replace('HOST', hostPath), path.join(root, p));
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-resolve-'));
  host = path.join(tmp, 'host');
  populate(host, host);
  // The same tree split over two layers: links in the upper one, files in the lower one.
  upper = path.join(tmp, 'upper');
  lower = path.join(tmp, 'lower');
  populate(upper, host, (p) => LINKS.some(([l]) => l === p));
  populate(lower, host, (p) => !LINKS.some(([l]) => l === p));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectOutcome(run: () => { rel: string; exists: boolean }, want: Outcome): void {
  if (want === 'outside') expect(run).toThrow(SecurityError);
  else if (want === 'loop') expect(run).toThrow(/too many levels of symlinks/);
  else {
    const got = run();
    const rel = want.rel.replace('HOST/', `${host.slice(1)}/`);
    expect({ rel: got.rel, exists: got.exists }).toEqual({ rel, exists: want.exists });
  }
}

describe.each(ROWS)('resolvePath: $name ($path)', (row) => {
  const follow = row.followFinal ?? true;
  it('host tree, confine (a build context)', () => {
    expectOutcome(
      () => new HostTree(host).resolve(row.path, { policy: 'confine', followFinal: follow, named: row.path }),
      row.confine,
    );
  });
  it('host tree, clamp (a container root)', () => {
    expectOutcome(
      () => new HostTree(host).resolve(row.path, { policy: 'clamp', followFinal: follow, named: row.path }),
      row.clamp,
    );
  });
  it('layer stack over two layers (clamp)', () => {
    expectOutcome(() => new LayerStack([upper, lower]).resolveSync(row.path, follow, row.path), row.clamp);
  });
});

describe('LayerStack merge rules', () => {
  it('an opaque root hides every lower layer', async () => {
    const { setXattr } = await import('../../../core/fs/overlay-form.js');
    const top = path.join(tmp, 'opaque-top');
    mkdirSync(top);
    writeFileSync(path.join(top, 'new'), 'n');
    setXattr(top, 'trusted.overlay.opaque', 'y');
    const stack = new LayerStack([top, lower]);
    expect(stack.rootLayers()).toEqual([0]);
    expect(stack.lookup('a')).toBeUndefined();
    expect(stack.lookup('new')).toBeDefined();
    const names = stack.list(stack.stat('', top)).map((c) => c.name);
    expect(names).toEqual(['new']);
  });
});
