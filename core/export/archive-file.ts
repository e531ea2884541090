/**
 * ArchiveFile: random access to the members of a tar file on disk (a `docker save` or OCI
 * archive). One pass over the headers records where each member's data starts; members are
 * then read straight from the archive by offset, so loading never unpacks the archive into a
 * temp dir (Docker 20.10 does, doubling the disk used). Member names are only map keys:
 * nothing is ever written to disk under an archive's names. Every header is read and judged
 * by core/diff's readEntryHeader, as in every other reader of outside tars.
 *
 * A gzip-compressed archive is decompressed into a scratch file (tar needs seeking; gzip does
 * not allow it), with its headers validated as the bytes stream: a malformed archive fails at
 * its first bad header, not after being written out. What is written counts against the
 * load's LoadBudget, and the scratch file is the store's (ingest/, named for this process),
 * so the next store open sweeps it if this process is killed.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { decompressed } from '../diff/decompressed.js';
import { type EntryHeader, readEntryHeader, type TarEntry } from '../diff/read-entry-header.js';
import { padding } from '../diff/tar-header.js';
import { TarReader } from '../diff/tar-reader.js';
import { type Expected, mismatchError, verifiedChunks } from '../fs/read-bounded.js';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';
import type { LayoutReader } from './layout-dir.js';
import { blobPath, MAX_JSON_BYTES, parseJsonMember } from './layout-entries.js';
import type { LoadBudget } from './load-budget.js';

/** A fresh file for temporary bytes that is removed if its process dies (Store.createScratchFile). */
export type ScratchFile = () => Promise<{ path: string; fh: FileHandle }>;

export interface ArchiveOpenOptions {
  /** What decompressing a gzip archive may write (the load's budget). */
  budget: LoadBudget;
  /** Where a gzip archive is decompressed to. */
  scratch: ScratchFile;
}

interface Member {
  type: 'file' | 'dir' | 'symlink' | 'link' | 'other';
  offset: number;
  size: number;
  linkname: string;
}

const MAX_LINK_HOPS = 16;

export class ArchiveFile implements LayoutReader {
  readonly #path: string;
  readonly #members: Map<string, Member>;
  readonly #cleanup: string | undefined;

  private constructor(path: string, members: Map<string, Member>, cleanup: string | undefined) {
    this.#path = path;
    this.#members = members;
    this.#cleanup = cleanup;
  }

  /** Indexes `file`. InvalidInputError when it is not a (gzip-compressed) tar. */
  static async open(file: string, opts: ArchiveOpenOptions): Promise<ArchiveFile> {
    const magic = await readHead(file, 6);
    if (magic[0] === 0x1f && magic[1] === 0x8b) return ArchiveFile.#openGzip(file, opts);
    if (
      magic.subarray(0, 3).equals(Buffer.from('BZh')) ||
      magic.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]))
    ) {
      throw new InvalidInputError(
        `read archive ${file}: bzip2 and xz archives are not supported; decompress it first`,
      );
    }
    return new ArchiveFile(file, await indexTar(file), undefined);
  }

  static async #openGzip(file: string, opts: ArchiveOpenOptions): Promise<ArchiveFile> {
    const { path, fh } = await opts.scratch();
    try {
      try {
        const members = await indexStream(
          written(decompressed(createReadStream(file), `read archive ${file}`), fh, opts.budget),
          {
            maxBytes: opts.budget.left,
            maxEntries: 1_000_000,
            label: `read archive ${file}`,
            capHint: opts.budget.exceeded(),
          },
        );
        // No fsync: a scratch file is worthless after a crash, and the sweep removes it.
        return new ArchiveFile(path, members, path);
      } finally {
        await fh.close();
      }
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
  }

  has(name: string): boolean {
    return this.#resolve(name, false) !== undefined;
  }

  /** The member's bytes as a stream; NotFoundError when absent or not a regular file. */
  openMember(name: string): Readable {
    const m = this.#file(name);
    // createReadStream's `end` is inclusive, so an empty range cannot be expressed with it.
    if (m.size === 0) return Readable.from([]);
    return createReadStream(this.#path, {
      start: m.offset,
      end: m.offset + m.size - 1,
      highWaterMark: 1 << 20,
    });
  }

  memberSize(name: string): number {
    return this.#file(name).size;
  }

  /** See LayoutReader: the member is checked against the declared size before it is read. */
  openBlob(expected: Expected, maxBytes: number): Readable {
    const name = blobPath(expected.digest);
    const m = this.#file(name);
    const what = `archive member ${name}`;
    if (expected.size !== undefined && m.size !== expected.size)
      throw new InvalidInputError(`read ${what}: ${m.size} bytes, its descriptor says ${expected.size}`);
    if (m.size > maxBytes)
      throw new InvalidInputError(`read ${what}: ${m.size} bytes is more than the ${maxBytes} allowed`);
    const chunks = verifiedChunks(this.openMember(name), expected, mismatchError(expected, what));
    return Readable.from(chunks, { objectMode: false });
  }

  /** The whole member (JSON documents); refuses members over MAX_JSON_BYTES. */
  async readMember(name: string): Promise<Buffer> {
    const m = this.#file(name);
    if (m.size > MAX_JSON_BYTES)
      throw new InvalidInputError(`read archive member ${name}: ${m.size} bytes is too large`);
    const fh = await open(this.#path, 'r');
    try {
      const buf = Buffer.alloc(m.size);
      const { bytesRead } = await fh.read(buf, 0, m.size, m.offset);
      if (bytesRead !== m.size)
        throw new InvalidInputError(`read archive member ${name}: archive is truncated`);
      return buf;
    } finally {
      await fh.close();
    }
  }

  async readJson<T>(name: string): Promise<T> {
    return parseJsonMember<T>(await this.readMember(name), `archive member ${name}`);
  }

  async close(): Promise<void> {
    if (this.#cleanup !== undefined) await rm(this.#cleanup, { force: true });
  }

  #file(name: string): Member {
    const m = this.#resolve(name, true);
    if (m === undefined || m.type !== 'file')
      throw new NotFoundError(`read archive: no file ${name} in the archive`);
    return m;
  }

  /** Follows symlinks and hardlinks inside the archive (legacy archives link repeated layers). */
  #resolve(name: string, follow: boolean): Member | undefined {
    let key = memberName(name);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      if (key === undefined) return undefined;
      const m = this.#members.get(key);
      if (m === undefined || !follow) return m;
      if (m.type === 'link') key = memberName(m.linkname);
      else if (m.type === 'symlink') key = memberName(posix.join(posix.dirname(key), m.linkname));
      else return m;
    }
    throw new InvalidInputError(`read archive: too many links resolving ${name}`);
  }
}

/** Cleaned relative name; undefined when it would leave the archive (`../x`). */
function memberName(name: string): string | undefined {
  const n = posix.normalize(`/${name}`).slice(1).replace(/\/+$/, '');
  return n === '' || n.startsWith('..') ? undefined : n;
}

async function readHead(file: string, n: number): Promise<Buffer> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`read archive ${file}: no such file`, { cause: err });
    throw err;
  }
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Indexes a plain tar file, seeking over member data. */
async function indexTar(path: string): Promise<Map<string, Member>> {
  const fh = await open(path, 'r');
  const members = new Map<string, Member>();
  try {
    const { size: total } = await fh.stat();
    let off = 0;
    const src = {
      read: async (n: number, what: string) => {
        const buf = Buffer.alloc(n);
        const { bytesRead } = await fh.read(buf, 0, n, off);
        if (bytesRead !== n) throw new InvalidInputError(`read archive ${path}: truncated in ${what}`);
        off += n;
        return buf;
      },
    };
    for (;;) {
      const got: EntryHeader | null = await readEntryHeader(src, {
        maxSize: total - off,
        label: `read archive ${path}`,
      });
      if (got === null) break;
      addMember(members, got.entry, off);
      off += got.entry.size + padding(got.entry.size);
      if (off > total)
        throw new InvalidInputError(`read archive ${path}: truncated member ${got.entry.name}`);
    }
  } finally {
    await fh.close();
  }
  return members;
}

/** Indexes a tar stream (the reader of layer tars, so the same checks and caps). */
async function indexStream(src: AsyncIterable<Buffer>, limits: ConstructorParameters<typeof TarReader>[1]) {
  const members = new Map<string, Member>();
  const reader = new TarReader(src, limits);
  for (let e = await reader.next(); e !== null; e = await reader.next()) addMember(members, e, reader.offset);
  await reader.finish(); // the rest (trailer, gzip checksum) is read, written and checked too
  return members;
}

/** Passes `src` through, writing each chunk to `fh` once `budget` allows it. */
async function* written(
  src: AsyncIterable<Buffer>,
  fh: FileHandle,
  budget: LoadBudget,
): AsyncGenerator<Buffer> {
  for await (const chunk of src) {
    budget.take(chunk.length);
    await fh.write(chunk);
    yield chunk;
  }
}

function addMember(members: Map<string, Member>, e: TarEntry, offset: number): void {
  const key = memberName(e.name);
  if (key === undefined) return;
  const type: Member['type'] =
    e.type === 'file' || e.type === 'dir' || e.type === 'symlink' || e.type === 'link' ? e.type : 'other';
  members.set(key, { type, offset, size: e.size, linkname: e.linkname });
}
