/**
 * The `cachemounts/` folder: persistent directories for `RUN --mount=type=cache`. A mount's
 * directory is `cachemounts/<sha256(id)-hex>/`: the id comes from a Dockerfile and is never
 * used as a path, so `id=../../etc` cannot leave the folder. The original id is kept beside
 * the dir in `<hex>.json` (outside the mounted dir, so a build cannot rewrite it) for display.
 */
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { InvalidInputError } from '../core/oci/index.js';
import { readJsonFile, writeFileAtomic } from './atomic-file.js';
import { dirSize } from './dir-size.js';
import type { Lock } from './file-lock.js';
import { isNotFound } from './fs-errors.js';
import { ownedName } from './process-owner.js';

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
    const lock = await this.#lock(`store:cachemount:${basename(path)}`);
    try {
      if (await isDir(path)) return path;
      const tmp = join(this.dir, ownedName('.tmp-'));
      try {
        await mkdir(tmp, { mode: 0o700 });
        if (init.seed) await init.seed(tmp);
        // explicit: mkdir's mode is filtered by umask
        if (!init.seed || init.mode !== undefined) await chmod(tmp, init.mode ?? 0o755);
        if (init.uid !== undefined || init.gid !== undefined)
          await chown(tmp, init.uid ?? -1, init.gid ?? -1);
        await writeFileAtomic(`${path}.json`, `${JSON.stringify({ id }, null, 2)}\n`);
        await rename(tmp, path);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      return path;
    } finally {
      await lock.release();
    }
  }

  async list(): Promise<CacheMountInfo[]> {
    const out: CacheMountInfo[] = [];
    for (const name of (await readdir(this.dir)).sort()) {
      const path = join(this.dir, name);
      if (!HEX64.test(name) || !(await isDir(path))) continue;
      const side = await readJsonFile<{ id?: unknown }>(`${path}.json`).catch(() => undefined);
      const id = typeof side?.id === 'string' ? side.id : undefined;
      out.push({ ...(id !== undefined ? { id } : {}), path, size: await dirSize(path) });
    }
    return out;
  }

  /**
   * Removes a cache mount given its id or its path (a path directly inside `cachemounts/`).
   * Idempotent. The dir is first renamed away, so it vanishes in one step.
   */
  async remove(idOrPath: string): Promise<void> {
    const isPath = isAbsolute(idOrPath) && dirname(resolve(idOrPath)) === this.dir;
    const path = isPath ? resolve(idOrPath) : this.path(idOrPath);
    if (!HEX64.test(basename(path)))
      throw new InvalidInputError(`remove cache mount: ${idOrPath} is not a cache mount`);
    const lock = await this.#lock(`store:cachemount:${basename(path)}`);
    try {
      const trash = join(this.dir, ownedName('.trash-'));
      try {
        await rename(path, trash);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      await rm(trash, { recursive: true, force: true });
      await rm(`${path}.json`, { force: true });
    } finally {
      await lock.release();
    }
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
