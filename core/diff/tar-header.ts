/**
 * A small, binary-safe tar header codec (ustar + PAX), shared by the layer writer and the
 * layer reader.
 *
 * Why not tar-stream's encoder: it formats PAX records as JS strings, so binary values such
 * as `SCHILY.xattr.security.capability` get utf-8 mangled (bytes >= 0x80 double up), it turns
 * mode 0 into 0644, and it silently overflows uid/gid >= 2^21. Layer bytes are identity here
 * (the diffID), so the writer owns every byte. tar-stream stays the independent reader in tests.
 */
import { InvalidInputError } from '../oci/errors.js';

export const BLOCK = 512;

export type EntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

const TYPEFLAG: Record<EntryType, number> = {
  file: 0x30, // '0'
  link: 0x31,
  symlink: 0x32,
  char: 0x33,
  block: 0x34,
  dir: 0x35,
  fifo: 0x36,
};

/** What the writer knows about one entry. `name` has no leading `/`; dirs get a `/` here. */
export interface TarHeader {
  name: string;
  type: EntryType;
  mode: number; // permission bits incl. setuid/setgid/sticky (& 0o7777)
  uid: number;
  gid: number;
  size: number;
  mtime: number; // whole seconds
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** xattr name -> raw value, written as `SCHILY.xattr.<name>` PAX records. */
  xattrs?: Map<string, Buffer>;
}

const MAX_OCTAL_7 = 0o7777777; // 2^21 - 1
const MAX_OCTAL_11 = 0o77777777777; // 8 GiB - 1

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Returns the sum of the bytes written (the header checksum adds them up). */
function writeOctal(buf: Buffer, off: number, width: number, value: number): number {
  // `width` bytes: digits zero-padded to width-1, then NUL (Go's archive/tar layout).
  // Digit by digit into the buffer: toString(8) + padStart + buf.write cost ~1 us a field,
  // seven fields a header, on every file of every layer. Values are integers below 2^36.
  let v = value;
  let sum = 0;
  for (let i = off + width - 2; i >= off; i--) {
    const d = 0x30 + (v % 8);
    buf[i] = d;
    sum += d;
    v = Math.floor(v / 8);
  }
  buf[off + width - 1] = 0;
  return sum;
}

/**
 * Writes a string at `off` (at most `max` bytes) and returns the sum of the bytes written.
 * ASCII goes char by char; anything else (the raw fallback of a PAX entry) as UTF-8.
 */
function writeField(buf: Buffer, off: number, max: number, s: string): number {
  let sum = 0;
  if (isAscii(s)) {
    const n = Math.min(s.length, max);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      buf[off + i] = c;
      sum += c;
    }
    return sum;
  }
  const n = buf.write(s, off, max, 'utf8');
  for (let i = off; i < off + n; i++) sum += buf[i];
  return sum;
}

/**
 * What every header block starts as: zeros, the ustar magic and version, and the checksum
 * field as spaces (the checksum is summed over them). Copied, not rebuilt, per block.
 */
const TEMPLATE = (() => {
  const b = Buffer.alloc(BLOCK);
  b.fill(0x20, 148, 156);
  b.write('ustar\u000000', 257, 8, 'ascii');
  return b;
})();

/**
 * The template's byte sum. The fields written over it were zeros there, so a block's sum is
 * this plus the sums of what was written: summing the 512 bytes again per block was ~100 us
 * a header in a cold process (a rebuild writes ~100 headers, once, mostly interpreted).
 */
const TEMPLATE_SUM = TEMPLATE.reduce((a, b) => a + b, 0);

/** Splits a long ASCII name into ustar prefix/name at a `/`, or returns null. */
function splitUstar(name: string): [string, string] | null {
  if (name.length <= 100) return ['', name];
  const limit = Math.min(name.length - 1, 155);
  for (let i = limit; i > 0; i--) {
    if (name.charCodeAt(i) !== 0x2f) continue;
    const rest = name.slice(i + 1);
    if (rest.length > 0 && rest.length <= 100) return [name.slice(0, i), rest];
    if (rest.length > 100) return null;
  }
  return null;
}

function paxRecord(key: string, value: Buffer): Buffer {
  // "<len> key=value\n" where len counts its own digits.
  const body = 3 + Buffer.byteLength(key) + value.length; // ' ' '=' '\n'
  let len = body + String(body).length;
  if (String(len).length !== String(body).length) len = body + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')]);
}

function encodeBlock(h: TarHeader, name: string, prefix: string, linkname: string, typeflag: number): Buffer {
  // allocUnsafe + copy, not alloc: a 512-byte allocUnsafe is a slice of Node's shared 8 KiB
  // pool, while alloc mallocs each block on its own; a 100,000-file layer made ~50 MB of
  // such blocks between two scavenges and RSS grew by that much.
  const b = Buffer.allocUnsafe(BLOCK);
  TEMPLATE.copy(b);
  let sum = TEMPLATE_SUM;
  // Names reach here ASCII-only unless they are the raw fallback of a PAX entry.
  sum += writeField(b, 0, 100, name);
  sum += writeOctal(b, 100, 8, h.mode & 0o7777);
  sum += writeOctal(b, 108, 8, h.uid <= MAX_OCTAL_7 ? h.uid : 0);
  sum += writeOctal(b, 116, 8, h.gid <= MAX_OCTAL_7 ? h.gid : 0);
  sum += writeOctal(b, 124, 12, h.size <= MAX_OCTAL_11 ? h.size : 0);
  sum += writeOctal(b, 136, 12, h.mtime >= 0 && h.mtime <= MAX_OCTAL_11 ? h.mtime : 0);
  b[156] = typeflag;
  sum += typeflag;
  sum += writeField(b, 157, 100, linkname);
  // uname/gname stay empty: numeric ids only, so host user tables never leak in.
  sum += writeOctal(b, 329, 8, h.devmajor ?? 0);
  sum += writeOctal(b, 337, 8, h.devminor ?? 0);
  sum += writeField(b, 345, 155, prefix);
  // Six octal digits, NUL, space (the layout Go and GNU tar write).
  writeOctal(b, 148, 7, sum);
  b[155] = 0x20;
  return b;
}

/**
 * Encodes one entry's header blocks: a PAX `x` header first only when needed (long or
 * non-ASCII names, long link names, ids >= 2^21, size >= 8 GiB, xattrs). Deterministic:
 * PAX keys are sorted and no times other than mtime are written.
 */
export function encodeHeader(h: TarHeader): Buffer {
  const full = h.type === 'dir' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const link = h.linkname ?? '';
  // Made only when a record is needed: most entries (short ASCII names, small ids) have none.
  let pax: Map<string, Buffer> | undefined;
  let split = isAscii(full) ? splitUstar(full) : null;
  if (split === null) {
    (pax ??= new Map()).set('path', Buffer.from(full));
    const ascii = full.replace(/[^\x20-\x7e]/g, '_');
    split = ['', ascii.slice(-100)];
  }
  let linkField = link;
  if (link.length > 100 || !isAscii(link)) {
    (pax ??= new Map()).set('linkpath', Buffer.from(link));
    linkField = link.replace(/[^\x20-\x7e]/g, '_').slice(0, 100);
  }
  if (h.uid > MAX_OCTAL_7) (pax ??= new Map()).set('uid', Buffer.from(String(h.uid)));
  if (h.gid > MAX_OCTAL_7) (pax ??= new Map()).set('gid', Buffer.from(String(h.gid)));
  if (h.size > MAX_OCTAL_11) (pax ??= new Map()).set('size', Buffer.from(String(h.size)));
  if (h.mtime < 0 || h.mtime > MAX_OCTAL_11) (pax ??= new Map()).set('mtime', Buffer.from(String(h.mtime)));
  if (h.xattrs) for (const [k, v] of h.xattrs) (pax ??= new Map()).set(`SCHILY.xattr.${k}`, v);
  const main = encodeBlock(h, split[1], split[0], linkField, TYPEFLAG[h.type]);
  if (pax === undefined) return main;
  const records = Buffer.concat([...pax.keys()].sort().map((k) => paxRecord(k, pax.get(k) as Buffer)));
  const base = split[1].slice(split[1].lastIndexOf('/', split[1].length - 2) + 1);
  const xh: TarHeader = {
    name: '',
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime: 0,
  };
  const xname = `PaxHeaders.0/${base}`.slice(0, 100);
  const xblock = encodeBlock(xh, xname, '', '', 0x78 /* 'x' */);
  return Buffer.concat([xblock, records, Buffer.alloc(padding(records.length)), main]);
}

/** Bytes of zero padding after `size` bytes of entry data. */
export function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

/** The raw fields of one 512-byte header block (no PAX merged in yet). */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: number;
  linkname: string;
  devmajor: number;
  devminor: number;
}

function readString(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end === -1 || end > off + len ? off + len : end);
}

function readNumber(b: Buffer, off: number, len: number): number {
  if (b[off] & 0x80) {
    // base-256 (GNU): first byte 0x80 marks a positive big-endian number.
    if (b[off] !== 0x80) throw new InvalidInputError('read tar header: negative base-256 number');
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + b[i];
    if (!Number.isSafeInteger(v)) throw new InvalidInputError('read tar header: number too large');
    return v;
  }
  const s = b
    .toString('ascii', off, off + len)
    .replace(/[\0 ]+$/, '')
    .replace(/^[ ]+/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s))
    throw new InvalidInputError(`read tar header: bad octal field ${JSON.stringify(s)}`);
  return Number.parseInt(s, 8);
}

/** True when every byte of the block is zero (end-of-archive marker). */
export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

/** Decodes and checksum-verifies one header block. Throws InvalidInputError if corrupt. */
export function decodeHeader(b: Buffer): RawHeader {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  const want = readNumber(b, 148, 8);
  if (want !== unsigned && want !== signed) throw new InvalidInputError('read tar header: checksum mismatch');
  let name = readString(b, 0, 100);
  const magic = b.toString('ascii', 257, 263);
  if (magic === 'ustar\u0000' && b[345] !== 0) name = `${readString(b, 345, 155)}/${name}`;
  return {
    name,
    mode: readNumber(b, 100, 8),
    uid: readNumber(b, 108, 8),
    gid: readNumber(b, 116, 8),
    size: readNumber(b, 124, 12),
    mtime: readNumber(b, 136, 12),
    typeflag: b[156],
    linkname: readString(b, 157, 100),
    devmajor: readNumber(b, 329, 8),
    devminor: readNumber(b, 337, 8),
  };
}

/** Parses PAX records, keeping values as raw bytes (xattr values are binary). */
export function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < buf.length) {
    if (buf[off] === 0) break; // trailing NUL padding written by some producers
    const sp = buf.indexOf(0x20, off);
    if (sp === -1) throw new InvalidInputError('read tar pax header: record without length');
    const len = Number(buf.toString('ascii', off, sp));
    if (
      !Number.isSafeInteger(len) ||
      len <= sp - off ||
      off + len > buf.length ||
      buf[off + len - 1] !== 0x0a
    ) {
      throw new InvalidInputError('read tar pax header: bad record length');
    }
    const rec = buf.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new InvalidInputError('read tar pax header: record without key');
    out.set(rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1)));
    off += len;
  }
  return out;
}
