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
interface FileChange {
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
function changedAttrs(o: FileEntry, n: FileEntry): AttributeChange[] {
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

function fileChanges(before: FileEntry[], after: FileEntry[]): FileChange[] {
  if (ascending(before) && ascending(after)) return mergedChanges(before, after);
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

/** Whether the paths strictly increase (so each is there once): a walked tree's list does. */
function ascending(files: FileEntry[]): boolean {
  for (let i = 1; i < files.length; i++) if (!(files[i - 1].path < files[i].path)) return false;
  return true;
}

/**
 * fileChanges of two ascending lists, in one merged pass instead of a map of every path
 * (for 10,000 files that map was most of explaining a one-file change). The same answer:
 * added and changed in `after`'s order, then removed in `before`'s.
 */
function mergedChanges(before: FileEntry[], after: FileEntry[]): FileChange[] {
  const out: FileChange[] = [];
  const removed: FileChange[] = [];
  let i = 0;
  for (const f of after) {
    while (i < before.length && before[i].path < f.path) {
      removed.push({ path: before[i].path, kind: 'removed', from: before[i].digest });
      i++;
    }
    const o = i < before.length && before[i].path === f.path ? before[i++] : undefined;
    if (o === undefined) out.push({ path: f.path, kind: 'added', to: f.digest });
    else if (o.digest !== f.digest)
      out.push({ path: f.path, kind: 'changed', from: o.digest, to: f.digest, attrs: changedAttrs(o, f) });
  }
  for (; i < before.length; i++)
    removed.push({ path: before[i].path, kind: 'removed', from: before[i].digest });
  return out.concat(removed);
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
export function diffFiles(before: FileEntry[], after: FileEntry[]): string[] {
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
 * per-file lists for COPY/ADD (the old one read from the record's files blob).
 */
export function explainMiss(
  prev: CacheRecord | undefined,
  now: KeyInputs,
  instruction: string,
  files?: { oldFiles?: FileEntry[]; newFiles?: FileEntry[] },
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
      const changes = files?.oldFiles && files.newFiles ? fileChanges(files.oldFiles, files.newFiles) : [];
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
