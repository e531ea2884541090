/**
 * SourceSet: what the sources of one COPY/ADD selected, from the build context or from a
 * layer stack, plus its content checksum. The executor treats both origins alike.
 *
 * Checksum layout (BuildKit cache/contenthash, same field set, not byte-identical):
 * - an entry hashes its header fields and content (content-hasher.ts), never its own name;
 * - a directory hashes its own header, then each direct child as (name, child digest) in
 *   name order, so names enter at directory level and renaming anything inside changes it;
 * - a non-wildcard source is its match's digest; a wildcard source is a list hash of
 *   (name below the fixed prefix, digest) per match, so which files matched counts;
 *   with --parents the destination path is the name, since it decides where files land;
 * - the set is sha256 of the per-source digests joined with NUL.
 */
import path from 'node:path';
import { PIECE_CHARS } from '../cache/sorted-rows.js';
import type { FileEntry, ResolvedSource, SourceMatch } from '../fs/file-entry.js';
import { type Digest, sha256 } from '../oci/digest.js';
import type { ContentHasher } from './content-hasher.js';

export interface FileDigest {
  /** Where the entry lands relative to the destination (`.` for a copied directory itself). */
  path: string;
  digest: Digest;
  /** `type mode-octal uid:gid size`: the attributes a miss names when they changed. */
  a?: string;
  /** Symlink target. */
  l?: string;
  /** Content and xattr fingerprint (FileEntry.fingerprint), when known. */
  f?: string;
}

export interface SourceChecksum {
  digest: Digest;
  /**
   * Every selected entry and its digest, in source order: the material for explaining a
   * miss. Built when read (a getter), so read it once.
   */
  readonly files: FileDigest[];
  /**
   * `files` as JSON.stringify would write it (the list a step's record keeps), made without
   * an object per file: for a 100,000-file COPY the objects were ~45 MB on their way to a
   * ~15 MB string.
   */
  json(): string;
  /**
   * json()'s rows one at a time, in list order (what a miss writes out and compares as it
   * goes: core/cache/list-merge.ts).
   */
  rows(): Iterable<string>;
  /** How many rows the list has. */
  readonly count: number;
}

export type SourceOrigin = 'context' | 'layers';

export class SourceSet {
  readonly origin: SourceOrigin;
  readonly sources: readonly ResolvedSource[];
  readonly parents: boolean;
  readonly #hasher: ContentHasher;
  #digest: Promise<Digest> | undefined;

  constructor(origin: SourceOrigin, sources: ResolvedSource[], hasher: ContentHasher, parents = false) {
    this.origin = origin;
    this.sources = sources;
    this.parents = parents;
    this.#hasher = hasher;
  }

  /** Every match of every source, in order. */
  get matches(): SourceMatch[] {
    return this.sources.flatMap((s) => s.matches);
  }

  /** A new set holding only the matches `keep` accepts (ADD splits archives from plain files). */
  filter(keep: (m: SourceMatch) => boolean): SourceSet {
    const sources = this.sources.map((s) => ({ ...s, matches: s.matches.filter(keep) }));
    return new SourceSet(this.origin, sources, this.#hasher, this.parents);
  }

  /**
   * The content checksum (memoised: the set is a snapshot). Saves the stat cache when any
   * content had to be read. Only the digest is memoised: `files` is a getter that builds a
   * fresh list from the entries' digests on each read, so a cache hit (which never reads
   * it) pays nothing for it, and a caller that drops it frees it (for a 100,000-file COPY
   * the list is ~15 MB that would otherwise live as long as the set).
   */
  async checksum(): Promise<SourceChecksum> {
    this.#digest ??= this.#compute();
    const digest = await this.#digest;
    const matches = this.matches;
    return {
      digest,
      get files() {
        return fileDigests(matches);
      },
      json: () => filesJson(matches),
      rows: () => fileRows(matches),
      count: matches.reduce((n, m) => n + m.entries.length, 0),
    };
  }

  async #compute(): Promise<Digest> {
    const perSource: Digest[] = [];
    for (const src of this.sources) {
      const named: { name: string; digest: Digest }[] = [];
      for (const m of src.matches) {
        const digest = await this.#matchDigest(m);
        named.push({ name: this.parents ? (m.parentsPath ?? m.name) : m.name, digest });
      }
      if (!src.wildcard && !this.parents && named.length === 1) perSource.push(named[0].digest);
      else {
        named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        perSource.push(sha256(named.map((n) => `${n.name}\0${n.digest}\n`).join('')));
      }
    }
    await this.#hasher.statCache.save();
    return sha256(perSource.join('\0'));
  }

  async #matchDigest(m: SourceMatch): Promise<Digest> {
    const own = new Array<Digest>(m.entries.length);
    const slow: Promise<void>[] = [];
    for (let i = 0; i < m.entries.length; i++) {
      const quick = this.#hasher.digestSync(m.entries[i]);
      if (quick) own[i] = quick;
      else {
        const p = this.#hasher.entryDigest(m.entries[i]).then((d) => void (own[i] = d));
        p.catch(() => {}); // observed by Promise.all below; avoids an unhandled rejection while we yield
        slow.push(p);
      }
      if (i % 2048 === 2047) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(slow);
    m.entries.forEach((e, i) => {
      e.digest = own[i];
    });
    if (m.entries[0].type !== 'dir') return own[0];
    return foldDirs(m.entries, own);
  }
}

/** Where a match's entries land: the destination-relative prefix of their paths. */
function baseOf(m: SourceMatch): string {
  return m.parentsPath ?? (m.entries[0].type === 'dir' ? '' : path.posix.basename(m.path) || '.');
}

/** `type mode-octal uid:gid size`. */
function attrsOf(e: FileEntry): string {
  // join: a flat string (a template keeps a cons-string tree per file alive).
  return [e.type, ' ', e.mode.toString(8), ' ', e.uid, ':', e.gid, ' ', e.size].join('');
}

function fileDigests(matches: SourceMatch[]): FileDigest[] {
  const files: FileDigest[] = [];
  for (const m of matches) {
    const base = baseOf(m);
    for (const e of m.entries) {
      // l and f declared up front (JSON leaves out undefined): added later, each would grow
      // a separate property array per file.
      const f: FileDigest = {
        path: joinDest(base, e.rel),
        digest: e.digest as Digest,
        l: undefined,
        f: undefined,
        a: attrsOf(e),
      };
      if (e.linkTarget !== undefined) f.l = e.linkTarget;
      if (e.fingerprint !== undefined) f.f = e.fingerprint;
      files.push(f);
    }
  }
  return files;
}

/**
 * The JSON of fileDigests(matches), byte for byte (keys in the same order, undefined ones
 * left out), written row by row: rows are joined into chunks of ~64 Ki characters as they
 * are made, so no more than a chunk of row strings is alive besides the text, and a chunk,
 * below V8's large-object size, dies young once joined (chunks of 1,024 rows were ~160 KB,
 * made in the old generation: 16 MB of garbage there per 100,000 files). The brackets go
 * into the first and last chunk: `[${...}]` around the join made a cons string that its first
 * reader flattened into a second copy (16 MB for a 100,000-file COPY).
 */
function filesJson(matches: SourceMatch[]): string {
  const chunks: string[] = [];
  let rows: string[] = ['['];
  let count = 0;
  let chars = 0;
  for (const m of matches) {
    const base = baseOf(m);
    for (const e of m.entries) {
      if (count++ > 0) rows.push(',');
      const row = rowOf(joinDest(base, e.rel), e);
      rows.push(row);
      chars += row.length + 1;
      if (chars >= PIECE_CHARS) {
        chunks.push(rows.join(''));
        rows = [];
        chars = 0;
      }
    }
  }
  rows.push(']');
  chunks.push(rows.join(''));
  return chunks.length === 1 ? chunks[0] : chunks.join('');
}

function* fileRows(matches: SourceMatch[]): Generator<string> {
  for (const m of matches) {
    const base = baseOf(m);
    for (const e of m.entries) yield rowOf(joinDest(base, e.rel), e);
  }
}

/** One row of the list, as JSON.stringify writes a FileDigest. */
function rowOf(path: string, e: FileEntry): string {
  // Digests, fingerprints (hex) and attributes (a type name and numbers) never need
  // escaping; paths and link targets may.
  let row = `{"path":${jsonString(path)}`;
  if (e.digest !== undefined) row += `,"digest":"${e.digest}"`;
  if (e.linkTarget !== undefined) row += `,"l":${jsonString(e.linkTarget)}`;
  if (e.fingerprint !== undefined) row += `,"f":"${e.fingerprint}"`;
  return `${row},"a":"${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid} ${e.size}"}`;
}

/** What JSON.stringify must escape in a string: quote, backslash, controls, lone surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(s), without the call for the plain strings nearly every path is. */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function joinDest(base: string, rel: string): string {
  if (base === '') return rel === '' ? '.' : rel;
  return rel === '' ? base : [base, rel].join('/');
}

/**
 * Folds per-entry digests into directory digests: a directory's is the sha256 of
 * `.\0<its own digest or "implied">\n` and then `<name>\0<digest>\n` for each child, by name.
 * `entries` is sorted by rel, parents first, so walking it backwards finishes every child
 * before its parent, and a directory's children come in descending name order (a sibling's
 * subtree may come between, never another directory's child).
 */
function foldDirs(entries: FileEntry[], own: Digest[]): Digest {
  // Children by parent rel: names and digests side by side, as they come (backwards).
  const children = new Map<string, string[]>();
  let parent: string | undefined;
  let list: string[] = [];
  let d = own[0];
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    d = own[i];
    if (e.type === 'dir') d = dirDigest(e.implied ? 'implied' : own[i], children.get(e.rel));
    if (i === 0) break;
    const rel = e.rel;
    const slash = rel.lastIndexOf('/');
    // Siblings mostly come together: the previous entry's list, without slicing and hashing
    // the parent's rel again.
    if (parent === undefined || slash !== parent.length || !rel.startsWith(parent)) {
      parent = slash < 0 ? '' : rel.slice(0, slash);
      const known = children.get(parent);
      if (known) list = known;
      else children.set(parent, (list = []));
    }
    list.push(slash < 0 ? rel : rel.slice(slash + 1), d);
  }
  return d;
}

/** sha256 of a directory's header and its children (`kids`: name, digest, ... backwards). */
function dirDigest(header: string, kids: string[] | undefined): Digest {
  const parts = ['.\0', header, '\n'];
  if (kids !== undefined) {
    // Backwards they are in descending name order; anything else is sorted here.
    let sorted = true;
    for (let k = 2; k < kids.length && sorted; k += 2) sorted = kids[k] < kids[k - 2];
    const order = Array.from({ length: kids.length / 2 }, (_, k) => kids.length - 2 - 2 * k);
    if (!sorted) order.sort((a, b) => (kids[a] < kids[b] ? -1 : kids[a] > kids[b] ? 1 : 0));
    for (const k of order) parts.push(kids[k], '\0', kids[k + 1], '\n');
  }
  return sha256(parts.join(''));
}
