/**
 * LayoutDir: an OCI image layout on disk (`oci-layout`, `index.json`, `blobs/`), read with
 * the same calls as an ArchiveFile, so load-oci-layout.ts serves both. Every file is read
 * through core/fs/read-bounded.ts: never through a symlink, only regular files, index.json
 * up to MAX_JSON_BYTES, a blob only when its size is the one its descriptor declares, and
 * its bytes checked against the digest as they stream.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { type Expected, openRegularNoFollow, openVerifiedFile, readFileBounded } from '../fs/read-bounded.js';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';
import { blobPath, MAX_JSON_BYTES, parseJsonMember } from './layout-entries.js';

/** What loading an OCI layout needs, from an archive or a directory. */
export interface LayoutReader {
  /** A JSON member (index.json), refused over MAX_JSON_BYTES. */
  readJson<T>(name: string): Promise<T>;
  /**
   * The blob `expected` names, as a stream that fails unless it is exactly that content:
   * a declared size is checked before reading and bounds the read; at most `maxBytes`.
   */
  openBlob(expected: Expected, maxBytes: number): Readable;
}

export class LayoutDir implements LayoutReader {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** NotFoundError unless `dir` is a directory holding index.json (a regular file). */
  static async open(dir: string): Promise<LayoutDir> {
    const layout = new LayoutDir(dir);
    try {
      const { fh } = await openRegularNoFollow(layout.#path('index.json'), {
        maxBytes: MAX_JSON_BYTES,
        what: `index.json of OCI layout ${dir}`,
      });
      await fh.close();
    } catch (err) {
      if (err instanceof NotFoundError)
        throw new NotFoundError(`read OCI layout ${dir}: no index.json there`, { cause: err });
      throw err;
    }
    return layout;
  }

  #path(name: string): string {
    const n = posix.normalize(`/${name}`).slice(1);
    if (n === '' || n.startsWith('..')) throw new InvalidInputError(`read OCI layout: bad name ${name}`);
    return posix.join(this.dir, n);
  }

  openBlob(expected: Expected, maxBytes: number): Readable {
    const name = blobPath(expected.digest);
    return openVerifiedFile(this.#path(name), expected, {
      maxBytes,
      what: `${name} of OCI layout ${this.dir}`,
    });
  }

  async readJson<T>(name: string): Promise<T> {
    const what = `${name} of OCI layout ${this.dir}`;
    return parseJsonMember<T>(await readFileBounded(this.#path(name), MAX_JSON_BYTES, what), what);
  }
}
