/**
 * A missed COPY's file list on its way into the store, where the step's record will name
 * it, compared on the way with the previous run's list when the miss is explained.
 *
 * A long list given as rows (a checksum of the context or of layers) is written a piece at
 * a time and merged with the previous list as that is read (core/cache/list-merge.ts), so
 * neither list is ever held whole. A short one, and a list given as text (a COPY --from
 * result's), is written and compared as text.
 */
import type { StagedBlob } from '../../store/store.js';
import { type FileChange, fileChanges } from '../cache/explain-miss.js';
import { ListMerge, listPieces } from '../cache/list-merge.js';
import { PIECE_CHARS } from '../cache/sorted-rows.js';
import type { Digest } from '../oci/digest.js';
import type { PlannedStep } from './types.js';

/** What the list needs of the store. */
export interface ListStore {
  stageBlob(data: string): Promise<StagedBlob>;
  stageBlobPieces(pieces: AsyncIterable<string | Uint8Array>): Promise<StagedBlob>;
  openBlob(d: Digest, opts?: { chunk?: number }): import('node:stream').Readable;
  readBlob(d: Digest): Promise<Buffer>;
}

/** A list that can be written (and compared) row by row as it is made. */
export interface FileRows {
  json(): string;
  rows(): Iterable<string>;
  readonly count: number;
}

/**
 * From this many rows a list is written and compared as it is made; a shorter one is made
 * whole and compared as text, which is faster: a 10,000-row list (~1.6 MB) took ~30 ms as
 * rows in pieces against ~15 ms as text, and its memory does not matter.
 */
const STREAM_FROM = 20_000;

export class MissList {
  readonly #store: ListStore;
  readonly #files: string | FileRows;
  #staged: Promise<StagedBlob | undefined> | undefined;

  /** `streamFrom`: rows from which a list is streamed (STREAM_FROM; tests pass their own). */
  constructor(store: ListStore, files: string | FileRows, streamFrom = STREAM_FROM) {
    this.#store = store;
    this.#files = typeof files === 'string' || files.count >= streamFrom ? files : files.json();
  }

  /**
   * Writes the list out, compared with the list in blob `old` on the way: what differs, or
   * undefined when the old list cannot be read.
   */
  async compareWith(old: Digest): Promise<FileChange[] | undefined> {
    const files = this.#files;
    if (typeof files === 'string') {
      this.staged();
      const before = await this.#oldText(old);
      return before === undefined ? undefined : fileChanges(before, files);
    }
    let merge: ListMerge | undefined;
    try {
      // Read in pieces the size of those written: 1 MiB reads (and the copies that join
      // them) left ~8 MB more of freed buffers in the process at 100,000 files.
      merge = new ListMerge(this.#store.openBlob(old, { chunk: PIECE_CHARS }));
    } catch {
      merge = undefined; // the blob is gone: written out without a comparison
    }
    try {
      await this.#stageRows(files, merge);
    } catch (err) {
      merge?.close();
      throw err;
    }
    const changes = await merge?.result();
    if (changes !== undefined || merge === undefined) return changes;
    // Not two lists in path order (several sources, or an older list's shape): compared
    // whole, the slower way that does not depend on order.
    const before = await this.#oldText(old);
    return before === undefined ? undefined : fileChanges(before, files.json());
  }

  /** The list staged (written out now, if compareWith did not). */
  staged(): Promise<StagedBlob | undefined> {
    if (this.#staged === undefined) {
      const files = this.#files;
      this.#staged =
        typeof files === 'string'
          ? files === '[]'
            ? Promise.resolve(undefined)
            : this.#store.stageBlob(files)
          : this.#stageRows(files, undefined);
      this.#staged.catch(() => {}); // observed by whoever awaits it
    }
    return this.#staged;
  }

  /** Removes what was staged (the decision failed). */
  async discard(): Promise<void> {
    const s = await this.#staged?.catch(() => undefined);
    await s?.discard();
  }

  #stageRows(files: FileRows, merge: ListMerge | undefined): Promise<StagedBlob | undefined> {
    const written = { rows: 0 };
    const staged = this.#store.stageBlobPieces(listPieces(files.rows(), merge, written)).then(async (s) => {
      if (written.rows > 0) return s;
      await s.discard(); // an empty list is not stored
      return undefined;
    });
    this.#staged = staged;
    staged.catch(() => {});
    return staged;
  }

  async #oldText(old: Digest): Promise<string | undefined> {
    return this.#store
      .readBlob(old)
      .then((b) => b.toString('utf8'))
      .catch(() => undefined);
  }
}

/**
 * Discards the staged lists of steps that will not run (the build failed, or only planned):
 * the executor takes a step's list when it runs it.
 */
export async function discardStagedLists(steps: Iterable<PlannedStep>): Promise<void> {
  const waits: Promise<void>[] = [];
  for (const p of steps) {
    const staged = p.filesStaged;
    if (staged === undefined) continue;
    p.filesStaged = undefined;
    waits.push(staged.then((s) => s?.discard()).catch(() => {}));
  }
  await Promise.all(waits);
}
