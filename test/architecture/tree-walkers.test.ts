/**
 * One tree walker (ARCHITECTURE.md, core/fs): every recursive walk of a host directory goes
 * through core/fs (walk-dir.ts for host trees, walk-tree.ts for the context and layer
 * stacks), where the symlink rules live. Outside core/fs a directory may only be listed
 * flat, and only by the files below, each named with the one directory it lists: a new
 * readdir elsewhere (the start of a second walker) fails here until it is moved onto the
 * walker or, if it really is a flat listing, added with its reason.
 */
import { expect, test } from 'vitest';
import { sourceFiles } from './source-files.js';

/** Files outside core/fs allowed to list a directory, and what they list (never recursively). */
const FLAT_LISTINGS: Record<string, string> = {
  'core/context/context-view.ts':
    "the context's TreeSource.list: one directory a call, walked by core/fs/walk-tree.ts",
  'core/exec/build-dirs.ts': "the store's builds/ dir, to find dead builds",
  'core/runtime/cleanup.ts': "runc's state dir and /proc, to find containers of dead builds",
  'core/runtime/mount-stubs.ts': 'whether one mount stub dir is still empty before rmdir',
  'core/runtime/emulation.ts': 'the binfmt_misc entries',
  'core/registry/cache-import.ts': 'whether a local cache dir is empty',
  'core/fsck/check-cache-records.ts': "the store's cache record files",
  'core/fsck/check-refs.ts': "the store's ref files",
  'core/fsck/quarantine.ts': 'the quarantine dir and its category dirs (two fixed levels, counted)',
  'core/fsck/layer-checker.ts': "the store's layers/ dir",
  'core/fsck/blob-checker.ts': "the store's blobs/sha256 dir",
  'store/layer-dirs.ts': 'layers/',
  'store/stale-sweep.ts': 'one store dir of owned temp names',
  'store/cache-records.ts': 'the cache record dir',
  'store/store.ts': 'blobs/sha256 and meta/',
  'store/ref-files.ts': 'the refs dir',
  'store/file-lock.ts': 'a lock dir (one entry)',
  'store/cache-mounts.ts': "the cache mount dirs and one mount's users dir",
};

/** A directory listing call: readdir/readdirSync/opendir/opendirSync, also as `fs.readdir`. */
const LISTING =
  /\b(?:readdir|readdirSync|opendir|opendirSync)\s*\(|\b(?:readdir|readdirSync|opendir|opendirSync)\b\s*[,}]/;

function listingFiles(): string[] {
  return sourceFiles()
    .filter((f) => !f.path.startsWith('core/fs/') && LISTING.test(f.text))
    .map((f) => f.path)
    .sort();
}

test('outside core/fs, only the known flat listings call readdir or opendir', () => {
  const found = listingFiles();
  const unknown = found.filter((f) => !(f in FLAT_LISTINGS));
  expect(
    unknown,
    'walk the tree with core/fs/walk-dir.ts, or add a flat listing to FLAT_LISTINGS with why',
  ).toEqual([]);
  // A file that no longer lists anything leaves the list (it must not stay a free pass).
  expect(Object.keys(FLAT_LISTINGS).filter((f) => !found.includes(f))).toEqual([]);
});

test('the check sees the ways a listing is written', () => {
  for (const text of [
    "import { readdirSync } from 'node:fs';",
    "import { lstat, readdir } from 'node:fs/promises';",
    'for (const n of fs.readdirSync(p)) {}',
    'const d = await opendir(p);',
  ])
    expect(LISTING.test(text), text).toBe(true);
  for (const text of ["import { walkDirSync } from '../fs/walk-dir.js';", 'const readdirCount = 1;'])
    expect(LISTING.test(text), text).toBe(false);
});
