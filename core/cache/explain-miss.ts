/**
 * Why a step missed the cache: its key inputs compared field by field with the most recent
 * record of the same step (same Dockerfile, stage and position). BuildKit never says; strata
 * always does.
 */

import type { CacheRecord, KeyInputs, MissCause } from '../cache/records.js';
import type { Digest } from '../oci/digest.js';
import { canonicalJson } from '../oci/digest.js';
import { type AttributeChange, attributeChanges, type FileAttrs } from './attribute-changes.js';

/** ADD sources that are downloads rather than context paths (keyed by what they serve). */
export function isUrl(src: string): boolean {
  return /^https?:\/\//i.test(src);
}

export interface FileEntry {
  path: string;
  digest: Digest;
  /** `type mode-octal uid:gid size` (context/source-set.ts); absent in older records. */
  a?: string;
  /** Symlink target. */
  l?: string;
  /** `content16.xattrs16` fingerprint, when the build knew it. */
  f?: string;
}

export interface MissExplanation {
  cause: MissCause;
  reason: string;
  details: string[];
}

const MAX_FILES = 10;
/** From this many files changed the same way in mode or owner only, they are told as one. */
const GROUP_FROM = 4;

/** One path that differs between two file lists. */
export interface FileChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  from?: Digest;
  to?: Digest;
  /** For `changed`, when both lists carry attributes: what differs (`mode 0644 -> 0755`). */
  attrs?: AttributeChange[];
}

function attrsOf(f: FileEntry): FileAttrs | undefined {
  if (f.a === undefined) return undefined;
  const [type, mode, owner, size] = f.a.split(' ');
  const [uid, gid] = (owner ?? '').split(':').map(Number);
  const dot = f.f?.indexOf('.') ?? -1;
  return {
    type,
    mode: Number.parseInt(mode, 8),
    uid,
    gid,
    size: Number(size),
    link: f.l,
    content: dot < 0 ? undefined : f.f?.slice(0, dot),
    xattrs: dot < 0 ? undefined : f.f?.slice(dot + 1),
  };
}

/** What changed on one path, when both sides say; [] when they cannot tell. */
export function changedAttrs(o: FileEntry, n: FileEntry): AttributeChange[] {
  const a = attrsOf(o);
  const b = attrsOf(n);
  if (a === undefined || b === undefined) return [];
  // A fingerprint known on one side only compares as unknown on both.
  if (a.content === undefined || b.content === undefined) {
    a.content = b.content = undefined;
    a.xattrs = b.xattrs = undefined;
  }
  return attributeChanges(a, b);
}

/**
 * A step's per-file list: the objects, or the JSON text its record keeps (what the planner
 * passes, so a 100,000-file miss is explained without 200,000 objects).
 */
export type FileList = FileEntry[] | string;

export function fileChanges(before: FileList, after: FileList): FileChange[] {
  if (typeof before === 'string' && typeof after === 'string') {
    const merged = mergeChanges(before, after);
    if (merged !== undefined) return merged;
  }
  return mapChanges(asObjects(before), asObjects(after));
}

function asObjects(list: FileList): FileEntry[] {
  if (typeof list !== 'string') return list;
  try {
    const parsed: unknown = JSON.parse(list);
    return Array.isArray(parsed) ? (parsed as FileEntry[]) : [];
  } catch {
    return [];
  }
}

/**
 * fileChanges of two JSON lists whose rows are in path order (a COPY's list is: the walk
 * sorts each source's entries), merged side by side: an identical row is passed over by
 * comparing characters in place, and only rows that differ are parsed. Undefined when a
 * list is not in that shape or order (then the lists are parsed whole).
 */
export function mergeChanges(before: string, after: string): FileChange[] | undefined {
  // The texts' common start and common end hold the same rows in both, at the same places:
  // only the rows between are read (one rebuild after a one-file change: a row or two of
  // 100,000). A path in the common rows is in both lists, so the middle cannot add or remove it.
  const [lo, hiA, hiB] = middleOf(before, after);
  const a = new JsonRows(before, lo, hiA);
  const b = new JsonRows(after, lo, hiB);
  if (!a.ok || !b.ok) return undefined;
  const out: FileChange[] = [];
  const removed: FileChange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.count && j < b.count) {
    const pa = a.path(i);
    const pb = b.path(j);
    if (pa === undefined || pb === undefined) return undefined;
    if (pa === pb) {
      if (!sameRow(a, i, b, j)) {
        const o = a.row(i);
        const n = b.row(j);
        if (o === undefined || n === undefined) return undefined;
        if (o.digest !== n.digest)
          out.push({
            path: own(pb),
            kind: 'changed',
            from: o.digest,
            to: n.digest,
            attrs: changedAttrs(o, n),
          });
      }
      i++;
      j++;
    } else if (pa < pb) {
      const o = a.row(i++);
      if (o === undefined) return undefined;
      removed.push({ path: own(pa), kind: 'removed', from: o.digest });
    } else {
      const n = b.row(j++);
      if (n === undefined) return undefined;
      out.push({ path: own(pb), kind: 'added', to: n.digest });
    }
  }
  for (; j < b.count; j++) {
    const n = b.row(j);
    if (n === undefined || b.path(j) === undefined) return undefined;
    out.push({ path: n.path, kind: 'added', to: n.digest });
  }
  for (; i < a.count; i++) {
    const o = a.row(i);
    if (o === undefined || a.path(i) === undefined) return undefined;
    removed.push({ path: o.path, kind: 'removed', from: o.digest });
  }
  return [...out, ...removed];
}

/**
 * A copy of a path sliced from a list's text: V8 keeps a slice as a view of the whole text,
 * and the explanation outlives the lists (a 100,000-file list is ~16 MB).
 */
function own(path: string): string {
  return Buffer.from(path, 'utf8').toString('utf8');
}

/**
 * Where the rows that differ can be: `[lo, hiA, hiB]`, from the start of the first row not
 * wholly in the texts' common start (the same place in both) to the end of the last row not
 * wholly in their common end (hiA in `a`, hiB in `b`). A row is wholly in the common start when
 * the delimiter after it is, since that decides where it ends (and likewise at the end).
 */
function middleOf(a: string, b: string): [number, number, number] {
  const prefix = commonPrefix(a, b);
  const before =
    prefix < ROW_DELIMITER.length ? -1 : a.lastIndexOf(ROW_DELIMITER, prefix - ROW_DELIMITER.length);
  const lo = before < 0 ? 1 : before + 2;
  const suffix = commonSuffix(a, b, Math.max(0, Math.min(a.length, b.length) - lo));
  const after = a.indexOf(ROW_DELIMITER, a.length - suffix);
  if (after < 0) return [lo, a.length - 1, b.length - 1];
  return [lo, after + 1, after + 1 - a.length + b.length];
}

const BLOCK = 1 << 16;

/** Length of the longest common start of `x` and `y`, compared a block at a time. */
function commonPrefix(x: string, y: string): number {
  const n = Math.min(x.length, y.length);
  let at = 0;
  let size = BLOCK;
  while (at < n) {
    const len = Math.min(size, n - at);
    if (x.slice(at, at + len) === y.slice(at, at + len)) {
      at += len;
      continue;
    }
    if (len === 1) break;
    size = len >> 1; // the difference is in this block: halve it
  }
  return at;
}

/** Length of the longest common end of `x` and `y`, at most `max`. */
function commonSuffix(x: string, y: string, max: number): number {
  let at = 0;
  let size = BLOCK;
  while (at < max) {
    const len = Math.min(size, max - at);
    if (x.slice(x.length - at - len, x.length - at) === y.slice(y.length - at - len, y.length - at)) {
      at += len;
      continue;
    }
    if (len === 1) break;
    size = len >> 1;
  }
  return at;
}

function sameRow(a: JsonRows, i: number, b: JsonRows, j: number): boolean {
  const n = a.end(i) - a.start(i);
  if (b.end(j) - b.start(j) !== n) return false;
  // Two slices (no copy) compared by the engine: faster than a loop over their characters.
  return a.text.slice(a.start(i), a.end(i)) === b.text.slice(b.start(j), b.end(j));
}

/**
 * The rows of a JSON array of flat objects (`[{"path":...},...]`), found without parsing:
 * where each object starts and ends, its path read on demand. Paths must rise strictly
 * from row to row (path() answers undefined from the first that does not).
 */
class JsonRows {
  readonly text: string;
  readonly ok: boolean;
  count = 0;
  #spans = new Uint32Array(2048);
  #last: string | undefined;
  #lastIndex = -1;

  /** The rows between `lo` (a row's start) and `hi` (a row's end); the whole list by default. */
  constructor(text: string, lo = 1, hi = text.length - 1) {
    this.text = text;
    this.ok = this.#scan(lo, hi);
  }

  start(i: number): number {
    return this.#spans[2 * i];
  }

  end(i: number): number {
    return this.#spans[2 * i + 1];
  }

  /** Row i's path, asked in order (i = the last asked or the one after it). */
  path(i: number): string | undefined {
    if (i === this.#lastIndex) return this.#last;
    if (i !== this.#lastIndex + 1) return undefined;
    // A slice is no copy; the path it gives may be a slice of the text too (see own()).
    const p = rowPath(this.text.slice(this.start(i), this.end(i)));
    if (p === undefined) return undefined;
    if (this.#last !== undefined && !(this.#last < p)) return undefined;
    this.#last = p;
    this.#lastIndex = i;
    return p;
  }

  row(i: number): FileEntry | undefined {
    try {
      // Parsed from a copy: what it returns may be slices of its input (see own()).
      const r = JSON.parse(own(this.text.slice(this.start(i), this.end(i)))) as FileEntry;
      return typeof r.path === 'string' ? r : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Finds the rows by their delimiter, `},{"path":`. It cannot occur inside a string: its
   * quote would be unescaped there, and end the string. (The text is a blob strata wrote,
   * read back verified against its digest; anything else fails later, in path() or row().)
   */
  #scan(lo: number, hi: number): boolean {
    const t = this.text;
    if (t === '[]') return true;
    if (!t.startsWith('[{"path":') || !t.endsWith('}]') || hi <= lo) return false;
    let start = lo;
    for (;;) {
      const next = t.indexOf(ROW_DELIMITER, start);
      if (next < 0 || next + 1 >= hi) break;
      this.#push(start, next + 1);
      start = next + 2;
    }
    this.#push(start, hi);
    return true;
  }

  #push(start: number, end: number): void {
    if (2 * this.count + 2 > this.#spans.length) {
      const grown = new Uint32Array(this.#spans.length * 2);
      grown.set(this.#spans);
      this.#spans = grown;
    }
    this.#spans[2 * this.count] = start;
    this.#spans[2 * this.count + 1] = end;
    this.count++;
  }
}

/** A row's start up to its path's opening quote. */
const ROW_PATH_KEY = '{"path":"';
const ROW_DELIMITER = '},{"path":';
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function mapChanges(before: FileEntry[], after: FileEntry[]): FileChange[] {
  // One map, emptied as paths are matched: what is left was removed. (A second `seen` set
  // of every path cost another ~10 MB for a 100,000-file COPY.)
  const old = new Map<string, FileEntry>();
  for (const f of before) old.set(f.path, f);
  const out: FileChange[] = [];
  for (const f of after) {
    const o = old.get(f.path);
    if (o === undefined) out.push({ path: f.path, kind: 'added', to: f.digest });
    else {
      old.delete(f.path);
      if (o.digest !== f.digest)
        out.push({ path: f.path, kind: 'changed', from: o.digest, to: f.digest, attrs: changedAttrs(o, f) });
    }
  }
  for (const f of before) if (old.has(f.path)) out.push({ path: f.path, kind: 'removed', from: f.digest });
  return out;
}

/** Content alone (or nothing known) reads as before: `changed index.js`. */
function onlyContent(c: FileChange): boolean {
  return (c.attrs ?? []).every((a) => a.attribute === 'content');
}

function detail(c: FileChange): string {
  if (c.kind === 'added') return `added ${c.path} (${short(c.to as Digest)})`;
  if (c.kind === 'removed') return `removed ${c.path} (${short(c.from as Digest)})`;
  const what = onlyContent(c) ? '' : `: ${(c.attrs ?? []).map((a) => a.text).join(', ')}`;
  return `changed ${c.path}${what} (${short(c.from as Digest)} -> ${short(c.to as Digest)})`;
}

/** Lists added, removed and changed files (with what changed) between two per-file lists. */
export function diffFiles(before: FileList, after: FileList): string[] {
  return fileChanges(before, after).map(detail);
}

/**
 * The reason's list: `changed index.js`, `mode 0644 -> 0755 on build.sh`, and files changed
 * the same way in mode or owner only told once (`mode 0644 -> 0755 on 240 files: a.sh, ...;
 * content unchanged`): the umask drift between a laptop and CI, named.
 */
function summarizeChanges(changes: FileChange[]): string {
  const groups = new Map<string, string[]>();
  for (const c of changes) {
    const attrs = c.attrs ?? [];
    if (attrs.length === 0 || !attrs.every((a) => a.attribute === 'mode' || a.attribute === 'owner'))
      continue;
    const key = attrs.map((a) => a.text).join(', ');
    groups.set(key, [...(groups.get(key) ?? []), c.path]);
  }
  const items: string[] = [];
  const grouped = new Set<string>();
  for (const [key, paths] of groups) {
    if (paths.length < GROUP_FROM) continue;
    for (const p of paths) grouped.add(p);
    const shown = paths.slice(0, 3).join(', ');
    items.push(
      `${key} on ${paths.length} files (${shown}${paths.length > 3 ? ', ...' : ''}); content unchanged`,
    );
  }
  for (const c of changes) {
    if (grouped.has(c.path)) continue;
    if (c.kind !== 'changed' || onlyContent(c)) items.push(`${c.kind} ${c.path}`);
    else items.push(`${(c.attrs ?? []).map((a) => a.text).join(', ')} on ${c.path}`);
  }
  const shown = items.slice(0, MAX_FILES);
  const more = items.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

export function short(d: string): string {
  return d.replace(/^sha256:/, '').slice(0, 12);
}

function envDiff(before: string[], after: string[]): string[] {
  const toMap = (l: string[]) => new Map(l.map((kv) => [kv.split('=')[0], kv.slice(kv.indexOf('=') + 1)]));
  const a = toMap(before);
  const b = toMap(after);
  const out: string[] = [];
  for (const [k, v] of b) {
    if (!a.has(k)) out.push(`${k} added (= ${JSON.stringify(v)})`);
    else if (a.get(k) !== v) out.push(`${k} changed ${JSON.stringify(a.get(k))} -> ${JSON.stringify(v)}`);
  }
  for (const k of a.keys()) if (!b.has(k)) out.push(`${k} removed`);
  return out;
}

/**
 * Compares this step's inputs with the previous record's. `oldFiles`/`newFiles` are the
 * per-file lists for COPY/ADD (the old one read from the record's files blob), or `changes`
 * what they differ in, when the caller has compared them (list-merge.ts).
 */
export function explainMiss(
  prev: CacheRecord | undefined,
  now: KeyInputs,
  instruction: string,
  files?: { oldFiles?: FileList; newFiles?: FileList; changes?: FileChange[] },
): MissExplanation {
  if (!prev) return { cause: 'new', reason: 'no earlier build of this step', details: [] };
  const was = prev.keyInputs;
  const opOld = was.op as Record<string, unknown>;
  const opNew = now.op as Record<string, unknown>;
  const changedFields = Object.keys({ ...opOld, ...opNew }).filter(
    (k) => canonicalJson(opOld[k]) !== canonicalJson(opNew[k]),
  );
  if (changedFields.length > 0) {
    // An ARG whose value came from --build-arg (or whose default changed): name it.
    if (opNew.kind === 'arg' && changedFields.every((f) => f === 'args')) {
      const pairs = (op: Record<string, unknown>) =>
        ((op.args as { name: string; value?: string }[]) ?? []).map((a) => `${a.name}=${a.value ?? ''}`);
      const details = envDiff(pairs(opOld), pairs(opNew));
      return { cause: 'args', reason: `a build arg changed: ${details.join('; ')}`, details };
    }
    const envOnly = changedFields.every((f) => f === 'env');
    if (envOnly) {
      const details = envDiff((opOld.env as string[]) ?? [], (opNew.env as string[]) ?? []);
      return { cause: 'args', reason: `a build arg or env value changed: ${details.join('; ')}`, details };
    }
    const details = [`was: ${prev.options.instruction}`, `now: ${instruction}`];
    if (prev.options.instruction === instruction)
      details.push(`fields changed after expansion: ${changedFields.join(', ')}`);
    return {
      cause: 'instruction',
      reason: `the instruction changed (${changedFields.join(', ')}): ${JSON.stringify(prev.options.instruction)} -> ${JSON.stringify(instruction)}`,
      details,
    };
  }
  const inputsChanged = canonicalJson(was.inputs) !== canonicalJson(now.inputs);
  if (inputsChanged) {
    if (now.inputs.content !== undefined && was.inputs.content !== now.inputs.content) {
      const changes =
        files?.changes ??
        (files?.oldFiles && files.newFiles ? fileChanges(files.oldFiles, files.newFiles) : []);
      const details = changes.map(detail);
      const what = changes.length > 0 ? `: ${summarizeChanges(changes)}` : '';
      return { cause: 'sources', reason: `COPY/ADD sources changed${what}`, details };
    }
    const keys = Object.keys({ ...was.inputs, ...now.inputs }).filter((k) => was.inputs[k] !== now.inputs[k]);
    if (keys.every((k) => /^url\d+$/.test(k))) {
      const urls = ((opNew.sources as string[] | undefined) ?? []).filter(isUrl);
      const short = (d: string | undefined) => (d === undefined ? 'unknown' : d.slice(0, 19));
      const details = keys.map(
        (k) => `${urls[Number(k.slice(3))] ?? k}: ${short(was.inputs[k])} -> ${short(now.inputs[k])}`,
      );
      return {
        cause: 'sources',
        reason: `the file behind an ADD URL changed: ${details.join(', ')}`,
        details,
      };
    }
    return { cause: 'stage-input', reason: `an input changed: ${keys.join(', ')}`, details: keys };
  }
  if (was.parent !== now.parent) {
    return { cause: 'parent', reason: 'the parent changed', details: [] };
  }
  return { cause: 'layer-missing', reason: 'the earlier result is no longer in the store', details: [] };
}

/** A row's path, or undefined when the row does not start with one. */
export function rowPath(row: string): string | undefined {
  if (!row.startsWith(ROW_PATH_KEY)) return undefined;
  const from = ROW_PATH_KEY.length;
  let k = row.indexOf('"', from);
  if (k < 0) return undefined;
  // Only a backslash before that quote can mean it is escaped.
  if (row.lastIndexOf('\\', k) < from) return row.slice(from, k);
  for (k = from; k < row.length; k++) {
    const c = row.charCodeAt(k);
    if (c === BACKSLASH) k++;
    else if (c === QUOTE) break;
  }
  try {
    return JSON.parse(row.slice(from - 1, k + 1)) as string;
  } catch {
    return undefined;
  }
}
