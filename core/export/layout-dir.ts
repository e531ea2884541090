/**
 * LayoutDir: an OCI image layout on disk (`oci-layout`, `index.json`, `blobs/`), read with
 * the same three calls as an ArchiveFile, so load-oci-layout.ts serves both. Names stay
 * inside the directory; what is read is still checked against its digest by the caller.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';

/** What loading an OCI layout needs, from an archive or a directory. */
export interface LayoutReader {
  readJson<T>(name: string): Promise<T>;
  readMember(name: string): Promise<Buffer>;
  openMember(name: string): Readable;
}

const MAX_JSON = 64 * 1024 * 1024;

export class LayoutDir implements LayoutReader {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** NotFoundError unless `dir` is a directory holding index.json. */
  static async open(dir: string): Promise<LayoutDir> {
    const st = await stat(join(dir, 'index.json')).catch(() => undefined);
    if (!st?.isFile()) throw new NotFoundError(`read OCI layout ${dir}: no index.json there`);
    return new LayoutDir(dir);
  }

  #path(name: string): string {
    const n = posix.normalize(`/${name}`).slice(1);
    if (n === '' || n.startsWith('..')) throw new InvalidInputError(`read OCI layout: bad name ${name}`);
    return join(this.dir, n);
  }

  async readMember(name: string): Promise<Buffer> {
    const p = this.#path(name);
    try {
      return await readFile(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError(`read OCI layout ${this.dir}: no ${name}`, { cause: err });
      throw err;
    }
  }

  openMember(name: string): Readable {
    return createReadStream(this.#path(name));
  }

  async readJson<T>(name: string): Promise<T> {
    const p = this.#path(name);
    const size = (await stat(p).catch(() => undefined))?.size ?? 0;
    if (size > MAX_JSON) throw new InvalidInputError(`read OCI layout ${this.dir}: ${name} is too large`);
    const data = await this.readMember(name);
    try {
      return JSON.parse(data.toString('utf8')) as T;
    } catch (err) {
      throw new InvalidInputError(`read OCI layout ${this.dir}: ${name} is not json`, { cause: err });
    }
  }
}
