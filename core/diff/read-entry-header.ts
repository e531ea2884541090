/**
 * readEntryHeader: the one reader and validator of tar headers from outside (layer tars,
 * ADD archives, `strata load` archives, plain or gzip). Every tar parser that sees bytes it
 * did not write calls this, so a header is judged the same way wherever it arrives.
 *
 * Reads the header blocks of one entry (PAX `x` and GNU `L`/`K` headers merged into it,
 * global `g` headers skipped) from a HeaderSource and returns the entry, or null at the
 * end-of-archive block. It refuses (InvalidInputError):
 * - a block whose checksum is wrong, or a numeric field that is not octal or is a negative
 *   base-256 number (decodeHeader);
 * - meta headers (PAX, GNU long names) over MAX_META bytes for one entry in total, so many
 *   small PAX headers cannot add up; PAX records whose length is wrong (parsePax);
 * - PAX numbers that are not plain decimal integers or do not fit: negative, `1e3`, `0x10`,
 *   `-1` sizes, or more than 2^53 (Go's archive/tar: parsePAXTime/strconv.ParseInt);
 * - names and link names with a NUL inside, or longer than MAX_NAME bytes;
 * - entry types other than file, hardlink, symlink, char, block, dir, fifo (GNU sparse too);
 * - an entry whose data is larger than `limits.maxSize` (what the caller has left).
 * Non-regular entries never carry data, whatever their size field says (Go's archive/tar).
 */
import { InvalidInputError } from '../oci/errors.js';
import { BLOCK, decodeHeader, type EntryType, isZeroBlock, padding, parsePax } from './tar-header.js';

export interface TarEntry {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** `SCHILY.xattr.*` records, raw bytes. */
  xattrs: Map<string, Buffer>;
}

/** Where the header bytes come from: a stream, or a file read at increasing offsets. */
export interface HeaderSource {
  /** Exactly the next `n` bytes; InvalidInputError ("truncated in `what`") when fewer are left. */
  read(n: number, what: string): Promise<Buffer>;
}

export interface HeaderLimits {
  /** The most data one entry may declare (a byte cap's remainder, the rest of a file). */
  maxSize: number;
  /** Prefix of error messages, e.g. `read layer tar`. */
  label: string;
  /** Added to the error when an entry is over maxSize (what the cap is, how to raise it). */
  capHint?: string;
}

/** The entry, and how many header blocks it took (meta headers count: they cost work). */
export interface EntryHeader {
  entry: TarEntry;
  headers: number;
}

/** PAX and GNU long-name bytes one entry may carry (all its meta headers together). */
export const MAX_META = 1 << 20;
/** Longest name or link name (Linux PATH_MAX): longer cannot be created under a root anyway. */
export const MAX_NAME = 4096;

const TYPES: Record<number, EntryType> = {
  0: 'file',
  48: 'file',
  55: 'file', // contiguous file: a regular file everywhere that matters
  49: 'link',
  50: 'symlink',
  51: 'char',
  52: 'block',
  53: 'dir',
  54: 'fifo',
};

export async function readEntryHeader(src: HeaderSource, limits: HeaderLimits): Promise<EntryHeader | null> {
  const fail = (what: string) => new InvalidInputError(`${limits.label}: ${what}`);
  const pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let meta = 0;
  let headers = 0;
  for (;;) {
    const block = await src.read(BLOCK, 'header');
    if (isZeroBlock(block)) return null;
    headers++;
    let h: ReturnType<typeof decodeHeader>;
    try {
      h = decodeHeader(block);
    } catch (err) {
      throw new InvalidInputError(`${limits.label}: ${(err as Error).message}`, { cause: err });
    }
    const flag = h.typeflag;
    if (flag === 0x78 || flag === 0x67 || flag === 0x4c || flag === 0x4b) {
      // x: PAX for the next entry; g: global PAX (ignored); L/K: GNU long name / link.
      meta += h.size;
      if (meta > MAX_META) throw fail(`${meta} bytes of extended headers for one entry is too many`);
      const data = await src.read(h.size, 'extended header');
      await src.read(padding(h.size), 'extended header padding');
      if (flag === 0x78) {
        try {
          for (const [k, v] of parsePax(data)) pax.set(k, v);
        } catch (err) {
          throw new InvalidInputError(`${limits.label}: ${(err as Error).message}`, { cause: err });
        }
      } else if (flag === 0x4c) longName = gnuName(data);
      else if (flag === 0x4b) longLink = gnuName(data);
      continue;
    }
    const type = TYPES[flag];
    if (type === undefined) {
      const what = flag === 0x53 ? 'GNU sparse' : `type ${JSON.stringify(String.fromCharCode(flag))}`;
      throw fail(`${what} entry ${JSON.stringify(h.name)} is not supported`);
    }
    const name = checkName(pax.get('path')?.toString('utf8') ?? longName ?? h.name, 'name', fail);
    const num = (k: string, dflt: number, signed = false): number => {
      const v = pax.get(k);
      if (v === undefined) return dflt;
      return paxNumber(v.toString('latin1'), signed, () => fail(`bad pax ${k} of ${JSON.stringify(name)}`));
    };
    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice(13), v);
    const size = type === 'file' ? num('size', h.size) : 0;
    if (size > limits.maxSize)
      throw fail(
        `entry ${JSON.stringify(name)} declares ${size} bytes, more than the ${limits.maxSize} left` +
          (limits.capHint ? `; ${limits.capHint}` : ''),
      );
    const entry: TarEntry = {
      name,
      type,
      mode: h.mode & 0o7777,
      uid: num('uid', h.uid),
      gid: num('gid', h.gid),
      size,
      mtime: num('mtime', h.mtime, true),
      linkname: checkName(pax.get('linkpath')?.toString('utf8') ?? longLink ?? h.linkname, 'link name', fail),
      devmajor: h.devmajor,
      devminor: h.devminor,
      xattrs,
    };
    return { entry, headers };
  }
}

/**
 * A PAX decimal: digits only (a `-` too when signed), a fraction allowed and dropped
 * (mtime `1700000000.123`), within 2^53.
 */
function paxNumber(s: string, signed: boolean, bad: () => Error): number {
  if (!(signed ? /^-?\d+(\.\d+)?$/ : /^\d+(\.\d+)?$/).test(s)) throw bad();
  const n = Math.floor(Number(s));
  if (!Number.isSafeInteger(n)) throw bad();
  return n;
}

/** A GNU long name: the bytes up to trailing NULs (a NUL before them is refused later). */
function gnuName(b: Buffer): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.toString('utf8', 0, end);
}

function checkName(s: string, what: string, fail: (what: string) => Error): string {
  if (s.includes('\0')) throw fail(`${what} ${JSON.stringify(s)} holds a NUL byte`);
  if (Buffer.byteLength(s) > MAX_NAME) throw fail(`${what} longer than ${MAX_NAME} bytes`);
  return s;
}
