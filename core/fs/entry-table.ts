/**
 * The build context's entries in columns: what a COPY of 100,000 files holds for the whole
 * build, at ~200 bytes a file instead of ~480.
 *
 * A plain FileEntry is an object of 14 fields (136 bytes) and five strings of its own: the
 * rel path, the host path, the stat key, the digest and the fingerprint, ~300 bytes, plus a
 * boxed mtime. Here a file is one small object (TableEntry: two fields) over columns:
 * numbers in typed arrays, the host path computed from the match root and the rel path, the
 * stat key from its three numbers, link targets and device numbers only where there are any.
 * Every field reads and writes as FileEntry says, so consumers cannot tell the difference;
 * a stat key or host path is made again on each read (a young string, dead at once).
 *
 * Rows come in blocks that double from 16 to 1,024 rows, so a one-file match costs one small
 * block and a big one never copies its columns to grow. Written by hand: no library packs
 * objects into typed-array columns behind an unchanged interface.
 */
import type { BigIntStats, Stats } from 'node:fs';
import { type EntryType, entryTypeOf, type FileEntry } from './file-entry.js';

const TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'fifo', 'char', 'block', 'socket'];
const TYPE_SHIFT = 12;
const TYPE_MASK = 7;
const IMPLIED = 1 << 15;
const HAS_LINK = 1 << 16;
const HAS_RDEV = 1 << 17;
/** The stat key is not `ino:mtimeMs:ctimeMs` of number stats (bigint stats: kept whole). */
const OWN_KEY = 1 << 18;
/** The host path is not the match root joined with rel (kept whole). */
const OWN_ABS = 1 << 19;

/** Numbers per row in Block.nums: size, mtime (s), ino, mtimeMs, ctimeMs. */
const NUMS = 5;
const FIRST_ROWS = 16;
const MAX_ROWS = 1024;

class Block {
  readonly nums: Float64Array;
  readonly bits: Uint32Array;
  readonly rel: string[] = [];
  readonly digest: (string | undefined)[] = [];
  readonly fingerprint: (string | undefined)[] = [];
  /** Rare fields by row: link target, rdev, a bigint stat key, a host path that is not derived. */
  readonly rare = new Map<number, { link?: string; rdev?: bigint; key?: string; abs?: string }>();
  readonly table: EntryTable;

  constructor(table: EntryTable, rows: number) {
    this.table = table;
    this.nums = new Float64Array(rows * NUMS);
    this.bits = new Uint32Array(rows);
  }

  get capacity(): number {
    return this.bits.length;
  }
}

/**
 * The entries of one match: its root (rel `''`) and everything the walk found below it.
 * Host paths are derived as root + `/` + rel, which is how the context walk makes them.
 */
export class EntryTable {
  readonly #owner: { uid: number; gid: number };
  #prefix: string | undefined;
  #root = '';
  #block: Block | undefined;
  #rows = 0;

  /** `owner`: the uid/gid every entry reports (the context's files are 0:0). */
  constructor(owner: { uid: number; gid: number }) {
    this.#owner = owner;
  }

  get uid(): number {
    return this.#owner.uid;
  }

  get gid(): number {
    return this.#owner.gid;
  }

  /** The host path of `rel` when derived (the root itself for `''`). */
  absOf(rel: string): string {
    // join: a flat string (a `+` would make a cons string, flattened by its first use).
    return rel === '' ? this.#root : [this.#prefix, rel].join('');
  }

  /** Adds an entry from an lstat result; the returned entry reads and writes this table. */
  add(rel: string, abs: string, st: Stats | BigIntStats, linkTarget?: string): FileEntry {
    if (this.#prefix === undefined) {
      // The first row fixes the root: the match root itself, or (a lone stat) what abs says.
      const root =
        rel === '' ? abs : abs.endsWith(`/${rel}`) ? abs.slice(0, abs.length - rel.length - 1) : abs;
      this.#root = root;
      this.#prefix = root.endsWith('/') ? root : `${root}/`;
    }
    let b = this.#block;
    if (b === undefined || b.rel.length === b.capacity) {
      b = new Block(this, Math.min(MAX_ROWS, b === undefined ? FIRST_ROWS : b.capacity * 2));
      this.#block = b;
    }
    const i = b.rel.length;
    const type = entryTypeOf(st);
    let bits = (Number(st.mode) & 0o7777) | (TYPES.indexOf(type) << TYPE_SHIFT);
    const n = b.nums;
    const o = i * NUMS;
    n[o] = type === 'file' ? Number(st.size) : 0;
    if (typeof st.mode === 'bigint') {
      const s = st as BigIntStats;
      n[o + 1] = Number(s.mtimeNs) / 1e9;
      bits |= OWN_KEY;
      this.#rare(b, i).key = [s.ino, s.mtimeNs, s.ctimeNs].join(':');
    } else {
      const s = st as Stats;
      n[o + 1] = s.mtimeMs / 1000;
      n[o + 2] = s.ino;
      n[o + 3] = s.mtimeMs;
      n[o + 4] = s.ctimeMs;
    }
    if (type === 'char' || type === 'block') {
      bits |= HAS_RDEV;
      this.#rare(b, i).rdev = BigInt(st.rdev);
    }
    if (linkTarget !== undefined) {
      bits |= HAS_LINK;
      this.#rare(b, i).link = linkTarget;
    }
    if (!this.#derives(rel, abs)) {
      bits |= OWN_ABS;
      this.#rare(b, i).abs = abs;
    }
    b.bits[i] = bits;
    b.rel.push(rel);
    b.digest.push(undefined);
    b.fingerprint.push(undefined);
    this.#rows++;
    return new TableEntry(b, i);
  }

  /** Whether absOf(rel) is `abs`, without making it. */
  #derives(rel: string, abs: string): boolean {
    if (rel === '') return abs === this.#root;
    const prefix = this.#prefix as string;
    return abs.length === prefix.length + rel.length && abs.startsWith(prefix) && abs.endsWith(rel);
  }

  /** Rows added so far. */
  get size(): number {
    return this.#rows;
  }

  #rare(b: Block, i: number): { link?: string; rdev?: bigint; key?: string; abs?: string } {
    let r = b.rare.get(i);
    if (r === undefined) b.rare.set(i, (r = {}));
    return r;
  }
}

/** One row of an EntryTable, as a FileEntry. */
class TableEntry implements FileEntry {
  readonly #b: Block;
  readonly #i: number;

  constructor(b: Block, i: number) {
    this.#b = b;
    this.#i = i;
  }

  get rel(): string {
    return this.#b.rel[this.#i];
  }

  get abs(): string {
    const b = this.#b;
    if (b.bits[this.#i] & OWN_ABS) return b.rare.get(this.#i)?.abs as string;
    return b.table.absOf(b.rel[this.#i]);
  }

  get type(): EntryType {
    return TYPES[(this.#b.bits[this.#i] >> TYPE_SHIFT) & TYPE_MASK];
  }

  get mode(): number {
    return this.#b.bits[this.#i] & 0o7777;
  }

  get uid(): number {
    return this.#b.table.uid;
  }

  get gid(): number {
    return this.#b.table.gid;
  }

  get size(): number {
    return this.#b.nums[this.#i * NUMS];
  }

  get mtime(): number {
    return this.#b.nums[this.#i * NUMS + 1];
  }

  get statKey(): string {
    const b = this.#b;
    if (b.bits[this.#i] & OWN_KEY) return b.rare.get(this.#i)?.key as string;
    const o = this.#i * NUMS;
    // The same text as file-entry.ts makes from number stats: the numbers are the same doubles.
    return [b.nums[o + 2], b.nums[o + 3], b.nums[o + 4]].join(':');
  }

  get rdev(): bigint | undefined {
    const b = this.#b;
    return b.bits[this.#i] & HAS_RDEV ? b.rare.get(this.#i)?.rdev : undefined;
  }

  get linkTarget(): string | undefined {
    const b = this.#b;
    return b.bits[this.#i] & HAS_LINK ? b.rare.get(this.#i)?.link : undefined;
  }

  get implied(): boolean | undefined {
    return this.#b.bits[this.#i] & IMPLIED ? true : undefined;
  }

  set implied(v: boolean | undefined) {
    if (v) this.#b.bits[this.#i] |= IMPLIED;
    else this.#b.bits[this.#i] &= ~IMPLIED;
  }

  get digest(): string | undefined {
    return this.#b.digest[this.#i];
  }

  set digest(v: string | undefined) {
    this.#b.digest[this.#i] = v;
  }

  get fingerprint(): string | undefined {
    return this.#b.fingerprint[this.#i];
  }

  set fingerprint(v: string | undefined) {
    this.#b.fingerprint[this.#i] = v;
  }
}
