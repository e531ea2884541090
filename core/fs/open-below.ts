/**
 * BelowRoot: opens regular files at root-relative paths without following a symlink in any
 * component, for readers that visit many paths of one tree in tree order (replaying a
 * layer's tar-split index over its diff dir).
 *
 * Each directory on the way is opened with O_NOFOLLOW|O_DIRECTORY through the descriptor of
 * the one above it (`/proc/self/fd/<fd>/<name>`, the openat(2) Node lacks; see dir-handle.ts),
 * and the file itself with O_NOFOLLOW, so a symlink anywhere (a tampered tree) is refused,
 * never followed, and no path is looked up twice. The descriptors of the last file's
 * directories stay open: files read in tree order cost one open each, plus one per
 * directory entered.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const FILE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export class BelowRoot {
  readonly #root: string;
  /** Open directories from the root down: names[i] is opened as fds[i + 1]. */
  readonly #names: string[] = [];
  readonly #fds: number[];

  /** Opens `root` (followed as given: it is the caller's own path). Call close(). */
  constructor(root: string) {
    this.#root = root;
    this.#fds = [openSync(root, constants.O_RDONLY | constants.O_DIRECTORY)];
  }

  /**
   * Opens the regular file at `rel` (`a/b/c`) for reading; the caller closes the fd.
   * InvalidInputError when a component is a symlink or not a directory, or the file is not a
   * regular file; NotFoundError when it is missing. `what` prefixes messages.
   */
  openFile(rel: string, what: string): { fd: number; size: number } {
    const parts = rel.split('/');
    const name = parts.pop() as string;
    for (const p of [...parts, name]) {
      if (p === '' || p === '.' || p === '..')
        throw new InvalidInputError(`${what}: ${JSON.stringify(rel)} is not a clean relative path`);
    }
    let keep = 0;
    while (keep < parts.length && keep < this.#names.length && parts[keep] === this.#names[keep]) keep++;
    while (this.#names.length > keep) {
      this.#names.pop();
      closeSync(this.#fds.pop() as number);
    }
    for (let i = keep; i < parts.length; i++) {
      this.#fds.push(this.#openAt(DIR_FLAGS, parts[i], rel, what));
      this.#names.push(parts[i]);
    }
    const fd = this.#openAt(FILE_FLAGS, name, rel, what);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new InvalidInputError(`${what}: ${this.#shown(rel)} is not a regular file`);
      return { fd, size: st.size };
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  #openAt(flags: number, name: string, rel: string, what: string): number {
    const dir = this.#fds[this.#fds.length - 1];
    try {
      return openSync(`/proc/self/fd/${dir}/${name}`, flags);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        throw new NotFoundError(`${what}: ${this.#shown(rel)} is missing`, { cause: err });
      if (code === 'ELOOP' || code === 'ENOTDIR')
        throw new InvalidInputError(
          `${what}: ${this.#shown(rel)} runs through a symlink or a non-directory`,
          {
            cause: err,
          },
        );
      throw err;
    }
  }

  #shown(rel: string): string {
    return `${this.#root}/${rel}`;
  }

  close(): void {
    for (const fd of this.#fds.splice(0)) closeSync(fd);
    this.#names.length = 0;
  }
}
