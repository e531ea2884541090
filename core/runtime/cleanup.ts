import { existsSync } from 'node:fs';
import path from 'node:path';
import { isUnder, mountsUnder, unmount } from './mounts.js';
import { type Owner, ownerAlive, readOwner, removeOwner } from './owner.js';
import { DEFAULT_RUNC_ROOT, runcDelete, runcList } from './runc.js';
import { findRunc } from './runc-version.js';

/**
 * The step state dir that owns `p`: the nearest directory from `p` up to (not including)
 * `stateRoot` that holds an owner file.
 */
async function owningStep(p: string, stateRoot: string): Promise<{ dir: string; owner: Owner } | undefined> {
  let dir = p;
  while (isUnder(dir, stateRoot) && dir !== stateRoot) {
    const owner = await readOwner(dir);
    if (owner) return { dir, owner };
    dir = path.dirname(dir);
  }
  return undefined;
}

/**
 * Cleans what RUN steps of dead strata processes (SIGKILL, power loss of a namespace) left
 * under `stateRoot`: runc containers whose bundle lies under stateRoot and whose owner
 * process is gone (`runc delete -f`), then every mount under stateRoot that no live step
 * owns (deepest first, lazily detached when busy). Steps of live processes are left alone.
 * Their state dirs are not removed: a state dir is the caller's to delete.
 *
 * @param opts.runcRoot the runc --root the steps used (default /run/strata/runc)
 * @returns how many containers were deleted and mounts undone
 */
export async function cleanupStale(
  stateRoot: string,
  opts: { runcRoot?: string; runc?: string } = {},
): Promise<{ containers: number; mounts: number }> {
  const root = path.resolve(stateRoot);
  const runcRoot = opts.runcRoot ?? DEFAULT_RUNC_ROOT;
  const runc = opts.runc ?? findRunc();
  const stale = new Set<string>();
  let containers = 0;
  if (runc && existsSync(runcRoot)) {
    for (const c of await runcList(runc, runcRoot)) {
      if (!isUnder(path.resolve(c.bundle), root)) continue;
      const step = await owningStep(path.resolve(c.bundle), root);
      if (step && ownerAlive(step.owner)) continue;
      if (await runcDelete(runc, runcRoot, c.id)) containers++;
      if (step) stale.add(step.dir);
    }
  }
  let mounts = 0;
  for (const m of await mountsUnder(root)) {
    const step = await owningStep(m, root);
    if (step && ownerAlive(step.owner)) continue;
    await unmount(m);
    mounts++;
    if (step) stale.add(step.dir);
  }
  // Dead steps are now cleaned: drop their owner files so the next sweep skips them.
  for (const dir of stale) {
    const owner = await readOwner(dir);
    if (owner && !ownerAlive(owner)) await removeOwner(dir);
  }
  return { containers, mounts };
}
