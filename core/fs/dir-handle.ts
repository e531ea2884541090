/**
 * DirHandle: a host directory held open by descriptor, and names inside it resolved against
 * that descriptor. Node has no openat(2); `/proc/<pid>/fd/<fd>/<name>` gives the same
 * semantics on Linux: the kernel resolves `/proc/<pid>/fd/<fd>` to the very directory the
 * descriptor holds (a magic link, not a name that can be swapped), and only `<name>` is looked
 * up by name. So once a directory is open, renaming a symlink over its path changes nothing
 * for what is written inside it. `<pid>` rather than `self` so a child process (mknod) resolves
 * the same path. The contract every caller relies on: a DirHandle never refers to anything
 * reached through a symlink below the directory the caller named.
 */
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { InvalidInputError } from '../oci/errors.js';

const OPEN_DIR_NOFOLLOW = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Something other than a real directory (a symlink, a file) stands where a directory must be. */
export class NotADirectoryHere extends Error {}

export class DirHandle {
  readonly #fh: FileHandle;
  /** For messages: the path as the caller would name it. */
  readonly shown: string;

  private constructor(fh: FileHandle, shown: string) {
    this.#fh = fh;
    this.shown = shown;
  }

  /**
   * Opens (creating it and its parents if needed) the directory the user named. The user's
   * own path is followed as given, as any tool would; everything below it is not.
   */
  static async openNamed(path: string): Promise<DirHandle> {
    try {
      await mkdir(path, { recursive: true });
      return new DirHandle(await open(path, constants.O_RDONLY | constants.O_DIRECTORY), path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST')
        throw new InvalidInputError(`open ${path}: not a directory`, { cause: err });
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT')
        throw new InvalidInputError(`open ${path}: ${code}`, { cause: err });
      throw err;
    }
  }

  /** The path that names `name` inside this directory, never through a symlink above it. */
  path(name: string): string {
    return `/proc/${process.pid}/fd/${this.#fh.fd}/${name}`;
  }

  /** The descriptor, for fchown/fchmod/futimes on the directory itself. */
  get handle(): FileHandle {
    return this.#fh;
  }

  /**
   * The directory `name` inside this one, made with `mode` if absent (`created` says which).
   * Throws NotADirectoryHere when a symlink or a non-directory holds the name: it is never
   * followed, replaced or removed.
   */
  async child(name: string, mode = 0o755): Promise<{ dir: DirHandle; created: boolean }> {
    const p = this.path(name);
    let created = true;
    try {
      await mkdir(p, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      created = false;
    }
    try {
      return { dir: new DirHandle(await open(p, OPEN_DIR_NOFOLLOW), `${this.shown}/${name}`), created };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'ENOTDIR') throw new NotADirectoryHere(`${this.shown}/${name}`);
      throw err;
    }
  }

  /** The directory at `rel` (`a/b/c`) below this one, each step as child(); the caller closes it. */
  async descend(rel: string, mode = 0o755): Promise<DirHandle> {
    let cur: DirHandle = this;
    for (const part of rel.split('/').filter((p) => p !== '' && p !== '.')) {
      if (part === '..') throw new InvalidInputError(`open ${this.shown}/${rel}: '..' is not allowed`);
      const next: DirHandle = (await cur.child(part, mode).finally(() => cur !== this && cur.close())).dir;
      cur = next;
    }
    return cur;
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}
