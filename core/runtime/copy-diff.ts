import { execFile } from 'node:child_process';
import type { Stats } from 'node:fs';
import { chmod, chown, lstat, mkdir, readdir, readlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Writes into `out` what changed from `before` to `after`, in overlay's upper-dir form:
 * added or changed entries copied (`cp -a`), removed ones as char 0:0 whiteouts, parent
 * dirs recreated with their `after` metadata. "Changed" compares type, mode, owner, size,
 * mtime, device number and link target; both trees come from `cp -a` of one merge, so an
 * untouched file keeps its mtime. A dir replaced by a new one shows as per-entry whiteouts
 * rather than an opaque marker; the merged result is the same.
 *
 * This is the copy snapshotter's own small diff, used until core/diff offers
 * `snapshotDiff(lowerMerged, after, out)` with the same contract.
 */
export async function diffSnapshots(before: string, after: string, out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  const madeDirs = new Set<string>(['']);
  const ensureParent = async (rel: string): Promise<void> => {
    const parent = path.posix.dirname(rel);
    if (parent === '.' || madeDirs.has(parent)) return;
    await ensureParent(parent);
    const st = await lstat(path.join(after, parent));
    const dir = path.join(out, parent);
    await mkdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    await copyMeta(dir, st);
    madeDirs.add(parent);
  };
  const walk = async (rel: string): Promise<void> => {
    const afterNames = new Set(await readdir(path.join(after, rel)));
    const beforeNames = await readdir(path.join(before, rel)).catch(() => [] as string[]);
    for (const name of beforeNames) {
      if (afterNames.has(name)) continue;
      const r = rel ? `${rel}/${name}` : name;
      await ensureParent(r);
      await run('mknod', [path.join(out, r), 'c', '0', '0']);
    }
    for (const name of [...afterNames].sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const a = await lstat(path.join(after, r));
      const b = await lstat(path.join(before, r)).catch(() => undefined);
      if (b && a.isDirectory() && b.isDirectory()) {
        if (!sameMeta(a, b)) {
          await ensureParent(r);
          await mkdir(path.join(out, r)).catch(() => undefined);
          await copyMeta(path.join(out, r), a);
          madeDirs.add(r);
        }
        await walk(r);
        continue;
      }
      if (b && sameMeta(a, b) && (!a.isSymbolicLink() || (await sameLink(before, after, r)))) continue;
      await ensureParent(r);
      await run('cp', ['-a', '--no-dereference', path.join(after, r), path.join(out, r)]);
    }
  };
  await walk('');
}

function sameMeta(a: Stats, b: Stats): boolean {
  return (
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.rdev === b.rdev &&
    (a.isDirectory() || (a.size === b.size && a.mtimeMs === b.mtimeMs))
  );
}

async function sameLink(before: string, after: string, rel: string): Promise<boolean> {
  return (await readlink(path.join(before, rel))) === (await readlink(path.join(after, rel)));
}

async function copyMeta(p: string, st: Stats): Promise<void> {
  await chown(p, st.uid, st.gid);
  await chmod(p, st.mode & 0o7777);
  await utimes(p, st.atime, st.mtime);
}
