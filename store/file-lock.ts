/**
 * Cross-process exclusive locks without native addons (no flock from Node).
 *
 * A lock is a directory `locks/<name>/` that always holds exactly one entry:
 *   `free`                         nobody holds it;
 *   `held.<pid>.<start>.<token>`   held by that process (see process-owner.ts).
 * Every state change is one rename() of a uniquely named source inside that directory:
 *   acquire   free              -> held.<me>
 *   release   held.<me>         -> free
 *   takeover  held.<dead owner> -> held.<me>   (only when that owner is no longer alive)
 * When several processes race for the same transition, exactly one rename succeeds and the
 * others get ENOENT and look again. Because tokens are random and never reused, a takeover
 * can only ever move the precise stale entry it judged dead: it cannot steal a lock that a
 * live process acquired in between (no check-then-act window, unlike "unlink the stale lock
 * file, then create a new one"). The directory itself is created by renaming a prepared
 * temp dir that already contains `free`; rename onto an existing non-empty dir fails, so
 * creation races are harmless too, and the directory is never observed empty.
 *
 * Limits: liveness is judged by pid + start time (process-owner.ts), so this is correct only
 * among processes on one host in one pid namespace, on a local filesystem with atomic
 * rename. A stopped (SIGSTOP) holder keeps its lock. Waiting is by polling with backoff (up
 * to 100 ms), not by notification. Locks are not re-entrant: taking the same name twice,
 * even in one process, waits for the first release.
 */
import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InternalError } from '../core/oci/index.js';
import { errnoCode, isNotFound } from './fs-errors.js';
import { isOwnerAlive, ownedName, ownerOfName } from './process-owner.js';

export interface Lock {
  /** The lock's directory, e.g. `<root>/locks/build`. */
  readonly path: string;
  /** Gives the lock back. Idempotent. Throws if another process took it over meanwhile. */
  release(): Promise<void>;
}

const FREE = 'free';
const HELD = 'held.';

/** One attempt: acquires the lock in `dir` (taking over a dead holder's), or undefined. */
export async function tryAcquire(dir: string): Promise<Lock | undefined> {
  for (;;) {
    const entry = await currentEntry(dir);
    const mine = `${HELD}${ownedName()}`;
    if (entry === FREE) {
      if (await renamed(join(dir, FREE), join(dir, mine))) return new DirLock(dir, mine);
      continue; // someone else moved `free` first: look again
    }
    const owner = entry.startsWith(HELD) ? ownerOfName(entry.slice(HELD.length)) : undefined;
    // An entry we cannot parse has no owner that could ever release it: treat it as stale.
    if (owner !== undefined && isOwnerAlive(owner)) return undefined;
    if (await renamed(join(dir, entry), join(dir, mine))) return new DirLock(dir, mine);
  }
}

/** Waits for the lock in `dir`; rejects with the signal's reason if aborted while waiting. */
export async function acquire(dir: string, signal?: AbortSignal): Promise<Lock> {
  let delay = 2;
  for (;;) {
    signal?.throwIfAborted();
    const lock = await tryAcquire(dir);
    if (lock !== undefined) return lock;
    try {
      await sleep(delay, undefined, { signal });
    } catch (err) {
      // timers/promises rejects with a generic AbortError; callers expect the signal's reason.
      if (signal?.aborted) throw signal.reason;
      throw err;
    }
    delay = Math.min(delay * 2, 100);
  }
}

/** The single entry of the lock dir, creating the dir (in state `free`) when missing. */
async function currentEntry(dir: string): Promise<string> {
  for (;;) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await createLockDir(dir);
      continue;
    }
    const entry = names.find((n) => n === FREE || n.startsWith(HELD));
    if (entry !== undefined) return entry;
    // Emptied by hand (rm locks/x/*). rmdir succeeds only if it is empty at that instant,
    // and no valid state is empty, so this cannot discard a lock; the dir is then recreated.
    await rmdir(dir).catch((err) => {
      const code = errnoCode(err);
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw err;
    });
  }
}

async function createLockDir(dir: string): Promise<void> {
  const tmp = join(dirname(dir), ownedName('.tmp-'));
  await mkdir(tmp, { mode: 0o700 });
  await writeFile(join(tmp, FREE), '');
  try {
    await rename(tmp, dir);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** rename() that reports "source already gone" as false instead of throwing. */
async function renamed(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

class DirLock implements Lock {
  readonly path: string;
  readonly #entry: string;
  #released = false;

  constructor(path: string, entry: string) {
    this.path = path;
    this.#entry = entry;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    if (!(await renamed(join(this.path, this.#entry), join(this.path, FREE)))) {
      throw new InternalError(`release lock ${this.path}: lock was taken over while held`);
    }
  }
}
