/**
 * Per-entry digests with BuildKit's content-checksum field set (cache/contenthash, tarsum
 * v1 header fields): type, mode (permission bits plus setuid/setgid/sticky), uid, gid,
 * size, link target, device numbers, xattrs, and the file bytes. Never mtime, atime or
 * ctime, and never the entry's own name (names enter one level up, see source-digest.ts).
 *
 * File bytes and xattrs come from the stat cache when the stat key is unchanged; otherwise
 * they are read, hashed and recorded. `onContentRead` lets tests count real reads.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileEntry } from '../fs/file-entry.js';
import { inodeOfStatKey, openWalkedSync, readWalkedSync } from '../fs/open-walked.js';
import { type Digest, sha256 } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import type { Limiter } from './limit.js';
import { readXattrs } from './read-xattrs.js';
import type { StatCache } from './stat-cache.js';

const TYPEFLAG: Record<FileEntry['type'], string> = {
  file: '0',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
  socket: '0',
};

export interface ContentHasherOptions {
  statCache: StatCache;
  limit: Limiter;
  /** Called with the host path each time file bytes are actually read (instrumentation). */
  onContentRead?: (abs: string) => void;
}

/**
 * Small files are read synchronously: on a 2-core machine 100,000 page-cached reads took
 * 2.3 s sync against several times that through the libuv pool. Larger files are streamed
 * through the bounded async path so one big file never blocks the loop for long.
 */
const SYNC_MAX = 256 << 10;

export class ContentHasher {
  readonly #opts: ContentHasherOptions;
  /** Small files are read into this one buffer: a Buffer per file was a malloc and a free each. */
  #scratch: Buffer | undefined;

  constructor(opts: ContentHasherOptions) {
    this.#opts = opts;
  }

  get statCache(): StatCache {
    return this.#opts.statCache;
  }

  /**
   * The digest of an entry when it can be had without waiting: from the stat cache, or for
   * anything but a large regular file by hashing it now. Undefined means "use entryDigest".
   */
  digestSync(e: FileEntry): Digest | undefined {
    if (e.implied || (e.type !== 'file' && e.type !== 'dir')) {
      e.fingerprint = '.';
      return headerDigest(e, EMPTY);
    }
    const hit = this.#opts.statCache.lookup(e);
    if (hit) return hit;
    if (e.type === 'file' && e.size > SYNC_MAX) return undefined;
    let content = '';
    const abs = e.abs; // made on each read by the context's entry table
    if (e.type === 'file') {
      this.#opts.onContentRead?.(abs);
      try {
        // No-follow, same inode as walked, at most the walked size (core/fs/open-walked.ts).
        this.#scratch ??= Buffer.allocUnsafeSlow(SYNC_MAX);
        const seen = { ino: inodeOfStatKey(e.statKey) };
        const bytes = readWalkedSync(abs, seen, e.size, 'read source file', this.#scratch);
        content = createHash('sha256').update(bytes).digest('hex');
      } catch (err) {
        throw unreadable(e, err);
      }
    }
    return this.#record(e, content, readXattrs(abs));
  }

  /** The digest of one entry: its header fields, then (regular files) its content hash. */
  async entryDigest(e: FileEntry): Promise<Digest> {
    const quick = this.digestSync(e);
    if (quick) return quick;
    return this.#opts.limit(async () => this.#record(e, await this.#hashStream(e), readXattrs(e.abs)));
  }

  #record(e: FileEntry, content: string, xattrs: [string, string][]): Digest {
    const digest = headerDigest(e, { content, xattrs });
    e.fingerprint = fingerprint(content, xattrs);
    this.#opts.statCache.record(e, digest, e.fingerprint);
    return digest;
  }

  async #hashStream(e: FileEntry): Promise<string> {
    this.#opts.onContentRead?.(e.abs);
    try {
      const h = createHash('sha256');
      const fd = openWalkedSync(e.abs, { ino: inodeOfStatKey(e.statKey) }, 'read source file');
      for await (const chunk of createReadStream(e.abs, { fd, start: 0, end: e.size - 1 }))
        h.update(chunk as Buffer);
      return h.digest('hex');
    } catch (err) {
      throw unreadable(e, err);
    }
  }
}

/** What an entry's header digest covers besides its stat fields. */
export interface EntryContent {
  /** sha256 hex of the file bytes; `''` for non-regular entries. */
  content: string;
  /** Kept xattrs, sorted, as [name, base64 value]. */
  xattrs: [string, string][];
}

const EMPTY: EntryContent = { content: '', xattrs: [] };

function unreadable(e: FileEntry, err: unknown): InvalidInputError {
  if (err instanceof InvalidInputError) return err; // already names the file and the reason
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new InvalidInputError(`read source file: ${e.abs}: ${code}`, { cause: err });
}

/** Device major/minor from a Linux dev_t (glibc's gnu_dev_major/minor). */
function devNumbers(rdev: bigint): [bigint, bigint] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [major, minor];
}

/**
 * `content.xattrs`: 16 hex digits of the content hash and of the kept xattrs (each empty
 * when there is none), enough to tell which of the two changed when a digest did.
 */
export function fingerprint(content: string, xattrs: [string, string][]): string {
  const x = xattrs.length === 0 ? '' : sha256(JSON.stringify(xattrs)).slice(7, 23);
  // join: one flat string of 17-33 characters. A template keeps a cons string over a slice
  // of `content`, and so the whole 64-digit hex, alive with every file's entry.
  return [content.slice(0, 16), '.', x].join('');
}

/** Hashes the tarsum-style header of `e` plus its content digest. */
export function headerDigest(e: FileEntry, c: EntryContent): Digest {
  const isDev = e.type === 'char' || e.type === 'block';
  const [major, minor] = isDev ? devNumbers(e.rdev ?? 0n) : [0n, 0n];
  // Symlinks always hash as 0777 (Linux reports that anyway; BuildKit forces it).
  const mode = e.type === 'symlink' ? e.mode | 0o777 : e.mode;
  const fields = [
    `mode${mode}`,
    `uid${e.uid}`,
    `gid${e.gid}`,
    `size${e.size}`,
    `typeflag${TYPEFLAG[e.type]}`,
    `linkname${e.linkTarget ?? ''}`,
    'uname',
    'gname',
    `devmajor${major}`,
    `devminor${minor}`,
  ];
  for (const [k, v] of c.xattrs) fields.push(`xattr${k}=${v}`);
  if (e.type === 'file' && e.size > 0) fields.push(`content${c.content}`);
  return sha256(fields.join('\0'));
}
