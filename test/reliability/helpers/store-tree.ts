/**
 * Snapshots of a directory tree for "nothing changed" assertions: every entry's type, mode,
 * owner, size, content hash and link target. `locks/` is left out: taking and releasing a
 * lock renames entries inside it, which is no change of content.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export type TreeSnapshot = Map<string, string>;

export async function snapshotTree(root: string, skip: readonly string[] = ['locks']): Promise<TreeSnapshot> {
  const out: TreeSnapshot = new Map();
  async function walk(dir: string, rel: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      if (skip.includes(r)) continue;
      const p = join(dir, name);
      const st = await lstat(p);
      let what = `${st.mode.toString(8)} ${st.uid}:${st.gid}`;
      if (st.isFile())
        what += ` ${st.size} ${createHash('sha256')
          .update(await readFile(p))
          .digest('hex')}`;
      else if (st.isSymbolicLink()) what += ` -> ${await readlink(p)}`;
      else if (st.isCharacterDevice() || st.isBlockDevice()) what += ` dev ${st.rdev}`;
      out.set(r, what);
      if (st.isDirectory()) await walk(p, r);
    }
  }
  await walk(root, '');
  return out;
}

/** The entries that differ between two snapshots, for a readable failure message. */
export function treeDiff(before: TreeSnapshot, after: TreeSnapshot): string[] {
  const out: string[] = [];
  for (const [k, v] of before)
    if (after.get(k) !== v) out.push(after.has(k) ? `changed ${k}` : `removed ${k}`);
  for (const k of after.keys()) if (!before.has(k)) out.push(`added ${k}`);
  return out;
}
