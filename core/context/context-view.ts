/**
 * The build context as a SourceView: a plain host directory. Entries are recorded as 0:0
 * (BuildKit receives context files as root-owned), listings use `readdir` with file types
 * so ignored names are dropped before any stat, and stats are numbers where exact
 * (core/fs/file-entry.ts lstatForKey).
 * Calls are synchronous on purpose (see walk-tree.ts for the measurements).
 */
import { readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { EntryTable } from '../fs/entry-table.js';
import { type FileEntry, lstatForKey } from '../fs/file-entry.js';
import type { ListedChild } from '../fs/walk-tree.js';
import { InvalidInputError } from '../oci/errors.js';
import { resolveInContext } from './context-path.js';
import type { PathFilter, SourceView } from './resolve-sources.js';

const ROOT_OWNER = { uid: 0, gid: 0 };

export class ContextView implements SourceView {
  readonly rootAbs: string;
  readonly ignore: PathFilter | undefined;

  readonly #onListed: ((dirAbs: string, children: ListedChild[]) => void) | undefined;
  /** Where stat puts entries: a new table for each match root (core/fs/entry-table.ts). */
  #table: EntryTable | undefined;

  /** `onListed` hears every directory listing (the stat cache drops rows of deleted files). */
  constructor(
    rootAbs: string,
    ignore: PathFilter | undefined,
    onListed?: (dirAbs: string, children: ListedChild[]) => void,
  ) {
    this.rootAbs = rootAbs;
    this.ignore = ignore;
    this.#onListed = onListed;
  }

  resolve(rel: string, followFinal: boolean, named: string) {
    return resolveInContext(this.rootAbs, rel, followFinal, named);
  }

  list(dir: FileEntry): ListedChild[] {
    try {
      const dirents = readdirSync(dir.abs, { withFileTypes: true });
      // dir.abs is absolute and clean, so joining the parts is the join (path.join would
      // normalise every one of 100,000 paths again); Array join gives a flat string, where
      // `+` would leave a cons string that the stat cache's Map lookup flattens anyway.
      const prefix = dir.abs.endsWith('/') ? dir.abs : `${dir.abs}/`;
      const children = dirents.map((d) => ({
        name: d.name,
        abs: [prefix, d.name].join(''),
        isDir: d.isDirectory(),
      }));
      this.#onListed?.(dir.abs, children);
      return children;
    } catch (err) {
      throw unreadable(this.rootAbs, dir.abs, err);
    }
  }

  /**
   * Number stats where they are exact (core/fs/file-entry.ts lstatForKey says why). The
   * entries are rows of a table, which a match root (rel `''`) starts anew: a match's rows
   * die with it, and its host paths are derived from its root.
   */
  stat(rel: string, abs: string): FileEntry {
    try {
      const st = lstatForKey(abs);
      const target = st.isSymbolicLink() ? readlinkSync(abs) : undefined;
      if (rel === '' || this.#table === undefined) this.#table = new EntryTable(ROOT_OWNER);
      return this.#table.add(rel, abs, st, target);
    } catch (err) {
      throw unreadable(this.rootAbs, abs, err);
    }
  }
}

function unreadable(root: string, abs: string, err: unknown): InvalidInputError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  const shown = path.relative(root, abs) || '.';
  return new InvalidInputError(`read build context: ${shown}: ${code}`, { cause: err });
}
