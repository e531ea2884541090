/**
 * Counts the package tarballs npm keeps in a cache mount. npm's cache (cacache) indexes
 * each fetched tarball under `_cacache/index-v5/` with a key naming its URL
 * (`make-fetch-happen:request-cache:https://registry.npmjs.org/x/-/x-1.0.0.tgz`), so the set of
 * those keys before and after a build says what that build downloaded.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

async function* files(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile()) yield p;
  }
}

/** Every tarball URL indexed by any npm cache under `root`/cachemounts/. */
export async function npmCacheTarballs(root) {
  const keys = new Set();
  let mounts = [];
  try {
    mounts = await readdir(join(root, 'cachemounts'));
  } catch {
    return keys;
  }
  for (const m of mounts) {
    // The mount dir layout is the store's business; look for npm's index wherever it sits.
    for await (const f of files(join(root, 'cachemounts', m))) {
      if (!f.includes(`${'_cacache'}/index-v5/`)) continue;
      for (const line of (await readFile(f, 'utf8')).split('\n')) {
        const tab = line.indexOf('\t');
        if (tab === -1) continue;
        try {
          const { key } = JSON.parse(line.slice(tab + 1));
          if (typeof key === 'string' && key.endsWith('.tgz')) keys.add(key);
        } catch {
          // a torn line from an interrupted write: npm ignores those too
        }
      }
    }
  }
  return keys;
}
