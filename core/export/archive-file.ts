/**
 * ArchiveFile: random access to the members of a tar file on disk (a `docker save` or OCI
 * archive). One pass over the headers records where each member's data starts; members are
 * then read straight from the archive by offset, so loading never unpacks the archive into a
 * temp dir (Docker 20.10 does, doubling the disk used). Member names are only map keys:
 * nothing is ever written to disk under an archive's names. A gzip-compressed archive is
 * first decompressed to a temp file (tar needs seeking; gzip does not allow it).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { BLOCK, decodeHeader, isZeroBlock, padding, parsePax } from '../diff/tar-header.js';
import { type Expected, mismatchError, verifiedChunks } from '../fs/read-bounded.js';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';
import type { LayoutReader } from './layout-dir.js';
import { blobPath, MAX_JSON_BYTES, parseJsonMember } from './layout-entries.js';

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
  static async open(file: string): Promise<ArchiveFile> {
    const magic = await readHead(file, 6);
    let tarPath = file;
    let cleanup: string | undefined;
    if (magic[0] === 0x1f && magic[1] === 0x8b) {
      cleanup = await mkdtemp(join(tmpdir(), 'strata-load-'));
      tarPath = join(cleanup, 'archive.tar');
      try {
        await pipeline(createReadStream(file), createGunzip(), createWriteStream(tarPath));
      } catch (err) {
        await rm(cleanup, { recursive: true, force: true });
        throw new InvalidInputError(`read archive ${file}: corrupt gzip`, { cause: err });
      }
    } else if (
      magic.subarray(0, 3).equals(Buffer.from('BZh')) ||
      magic.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]))
    ) {
      throw new InvalidInputError(
        `read archive ${file}: bzip2 and xz archives are not supported; decompress it first`,
      );
    }
    try {
      return new ArchiveFile(tarPath, await indexTar(tarPath, file), cleanup);
    } catch (err) {
      if (cleanup !== undefined) await rm(cleanup, { recursive: true, force: true });
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
    if (this.#cleanup !== undefined) await rm(this.#cleanup, { recursive: true, force: true });
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

async function indexTar(path: string, shown: string): Promise<Map<string, Member>> {
  const fh = await open(path, 'r');
  const members = new Map<string, Member>();
  try {
    const { size: total } = await fh.stat();
    const block = Buffer.alloc(BLOCK);
    let off = 0;
    let pax: Map<string, Buffer> | undefined;
    let longName: string | undefined;
    let longLink: string | undefined;
    const readAt = async (buf: Buffer, pos: number) => {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead !== buf.length)
        throw new InvalidInputError(`read archive ${shown}: truncated at byte ${pos}`);
    };
    for (;;) {
      if (off + BLOCK > total) throw new InvalidInputError(`read archive ${shown}: no end-of-archive marker`);
      await readAt(block, off);
      if (isZeroBlock(block)) break;
      const h = decodeHeader(block);
      const type = String.fromCharCode(h.typeflag);
      const dataOff = off + BLOCK;
      const size = type === '5' || type === '1' || type === '2' ? 0 : h.size;
      if (dataOff + size > total)
        throw new InvalidInputError(`read archive ${shown}: truncated member ${h.name}`);
      off = dataOff + size + padding(size);
      if (type === 'x' || type === 'L' || type === 'K') {
        if (size > 1 << 20) throw new InvalidInputError(`read archive ${shown}: extended header too large`);
        const data = Buffer.alloc(size);
        await readAt(data, dataOff);
        if (type === 'x') pax = parsePax(data);
        else if (type === 'L') longName = data.toString('utf8').replace(/\0+$/, '');
        else longLink = data.toString('utf8').replace(/\0+$/, '');
        continue;
      }
      if (type === 'g') continue;
      const name = pax?.get('path')?.toString('utf8') ?? longName ?? h.name;
      const linkname = pax?.get('linkpath')?.toString('utf8') ?? longLink ?? h.linkname;
      const paxSize = pax?.get('size');
      const realSize =
        paxSize !== undefined && (type === '0' || type === '\0') ? Number(paxSize.toString()) : size;
      if (realSize !== size) {
        // A PAX size overrides the header's (files >= 8 GiB): recompute where the next header is.
        off = dataOff + realSize + padding(realSize);
        if (off > total) throw new InvalidInputError(`read archive ${shown}: truncated member ${name}`);
      }
      pax = longName = longLink = undefined;
      const key = memberName(name);
      if (key === undefined) continue;
      const kind: Member['type'] =
        type === '0' || type === '\0' || type === '7'
          ? 'file'
          : type === '5'
            ? 'dir'
            : type === '2'
              ? 'symlink'
              : type === '1'
                ? 'link'
                : 'other';
      members.set(key, { type: kind, offset: dataOff, size: realSize, linkname });
    }
  } finally {
    await fh.close();
  }
  return members;
}
