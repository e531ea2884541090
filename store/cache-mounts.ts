/**
 * The `cachemounts/` folder: persistent directories for `RUN --mount=type=cache`. A mount's
 * directory is `cachemounts/<sha256(id)-hex>/`: the id comes from a Dockerfile and is never
 * used as a path, so `id=../../etc` cannot leave the folder. The original id is kept beside
 * the dir in `<hex>.json` (outside the mounted dir, so a build cannot rewrite it) for display.
 *
 * A build that mounts one registers itself as a user while its step runs: an empty file
 * `<hex>.users/<pid>.<start>.<token>` (process-owner.ts), made and checked under the mount's
 * lock. remove() skips a mount with a live user, so `strata prune` never deletes a cache
 * directory a running step is writing into (that rm raced the step's writes and failed).
 * A user whose process died (kill -9) no longer counts.
 */
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { canOwn, setOwnerSync } from '../core/fs/kept-owner.js';
import { InvalidInputError } from '../core/oci/index.js';
import { readJsonFile, writeFileAtomic } from './atomic-file.js';
import { dirSize } from './dir-size.js';
import type { Lock } from './file-lock.js';
import { isNotFound } from './fs-errors.js';
import { isOwnerAlive, ownedName, ownerOfName } from './process-owner.js';

export interface CacheMountInit {
  /** Permission bits of a newly created dir (default 0o755, as BuildKit). */
  mode?: number;
  uid?: number;
  gid?: number;
  /**
   * Fills a new dir before it is published (RUN --mount=type=cache,from=...): the dir then
   * keeps the mode and owner the seed gave it unless `mode`, `uid` or `gid` say otherwise.
   */
  seed?: (dir: string) => Promise<void>;
}

export interface CacheMountInfo {
  /** The id it was created with; undefined if its sidecar is missing or unreadable. */
  id?: string;
  path: string;
  size: number;
  /**
   * Last use, ms since the epoch: when a step last took it up or let it go (the mtime of its
   * users dir, which every use() changes), else when it was made.
   */
  lastUsedMs: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

export class CacheMounts {
  readonly dir: string;
  readonly #lock: (name: string) => Promise<Lock>;

  constructor(dir: string, lock: (name: string) => Promise<Lock>) {
    this.dir = dir;
    this.#lock = lock;
  }

  path(id: string): string {
    if (id.length === 0) throw new InvalidInputError('find cache mount: empty id');
    return join(this.dir, createHash('sha256').update(id).digest('hex'));
  }

  /**
   * Returns the dir for `id`, creating it with `init` if absent. Creation happens under a
   * lock and by renaming a prepared dir, so the dir is never seen half set up (wrong owner)
   * and two builds creating it at once get the same one. `init` is ignored if it exists.
   */
  async ensure(id: string, init: CacheMountInit = {}): Promise<string> {
    const path = this.path(id);
    if (await isDir(path)) return path;
    return this.#locked(path, () => this.#create(id, path, init));
  }

  /**
   * ensure(), and this process registered as a user of the dir until `release()`: remove()
   * leaves it alone meanwhile. Release is idempotent.
   */
  async use(id: string, init: CacheMountInit = {}): Promise<CacheMountUse> {
    const path = this.path(id);
    const marker = join(`${path}.users`, ownedName());
    await this.#locked(path, async () => {
      await this.#create(id, path, init);
      await mkdir(`${path}.users`, { recursive: true, mode: 0o700 });
      await writeFile(marker, '', { flag: 'wx', mode: 0o600 });
    });
    let released = false;
    return {
      path,
      release: async () => {
        if (released) return;
        released = true;
        await unlink(marker).catch((err) => {
          if (!isNotFound(err)) throw err;
        });
      },
    };
  }

  async #locked<T>(path: string, fn: () => Promise<T>): Promise<T> {
    const lock = await this.#lock(`store:cachemount:${basename(path)}`);
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }

  /** Creates the dir for `id` unless it exists; the caller holds its lock. */
  async #create(id: string, path: string, init: CacheMountInit): Promise<string> {
    if (await isDir(path)) return path;
    const tmp = join(this.dir, ownedName('.tmp-'));
    try {
      await mkdir(tmp, { mode: 0o700 });
      if (init.seed) await init.seed(tmp);
      // explicit: mkdir's mode is filtered by umask
      if (!init.seed || init.mode !== undefined) await chmod(tmp, init.mode ?? 0o755);
      if (init.uid !== undefined || init.gid !== undefined) {
        // A rootless build that cannot own files as these ids keeps them in metadata
        // (core/fs/kept-owner.ts); its steps run as root, so the directory stays writable.
        if (canOwn(init.uid ?? 0, init.gid ?? 0)) await chown(tmp, init.uid ?? -1, init.gid ?? -1);
        else setOwnerSync(tmp, init.uid ?? 0, init.gid ?? 0, { symlink: false });
      }
      await writeFileAtomic(`${path}.json`, `${JSON.stringify({ id }, null, 2)}\n`);
      await rename(tmp, path);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return path;
  }

  /** True when a live process is registered as a user of the dir at `path` (see use()). */
  async #inUse(path: string): Promise<boolean> {
    let names: string[];
    try {
      names = await readdir(`${path}.users`);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    return names.some((n) => {
      const owner = ownerOfName(n);
      return owner !== undefined && isOwnerAlive(owner);
    });
  }

  async list(): Promise<CacheMountInfo[]> {
    const out: CacheMountInfo[] = [];
    for (const name of (await readdir(this.dir)).sort()) {
      const path = join(this.dir, name);
      if (!HEX64.test(name) || !(await isDir(path))) continue;
      const side = await readJsonFile<{ id?: unknown }>(`${path}.json`).catch(() => undefined);
      const id = typeof side?.id === 'string' ? side.id : undefined;
      const used =
        (await stat(`${path}.users`).catch(() => undefined)) ??
        (await stat(`${path}.json`).catch(() => undefined));
      out.push({
        ...(id !== undefined ? { id } : {}),
        path,
        size: await dirSize(path),
        lastUsedMs: used?.mtimeMs ?? 0,
      });
    }
    return out;
  }

  /**
   * Removes a cache mount given its id or its path (a path directly inside `cachemounts/`),
   * unless a running build uses it (see use()): then it stays and the result is false.
   * Idempotent (true when absent). The dir is first renamed away, so it vanishes in one step.
   */
  async remove(idOrPath: string): Promise<boolean> {
    const isPath = isAbsolute(idOrPath) && dirname(resolve(idOrPath)) === this.dir;
    const path = isPath ? resolve(idOrPath) : this.path(idOrPath);
    if (!HEX64.test(basename(path)))
      throw new InvalidInputError(`remove cache mount: ${idOrPath} is not a cache mount`);
    return this.#locked(path, async () => {
      if (await this.#inUse(path)) return false;
      const trash = join(this.dir, ownedName('.trash-'));
      try {
        await rename(path, trash);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      await rm(trash, { recursive: true, force: true });
      await rm(`${path}.json`, { force: true });
      await rm(`${path}.users`, { recursive: true, force: true });
      return true;
    });
  }
}

/** A cache mount a build is using; `release()` when the step is done with it. */
export interface CacheMountUse {
  readonly path: string;
  release(): Promise<void>;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
