/**
 * Why a step missed the cache: its key inputs compared field by field with the most recent
 * record of the same step (same Dockerfile, stage and position). BuildKit never says; strata
 * always does.
 */

import type { CacheRecord, KeyInputs, MissCause } from '../cache/records.js';
import type { Digest } from '../oci/digest.js';
import { canonicalJson } from '../oci/digest.js';

/** ADD sources that are downloads rather than context paths (keyed by what they serve). */
export function isUrl(src: string): boolean {
  return /^https?:\/\//i.test(src);
}

export interface FileEntry {
  path: string;
  digest: Digest;
}

export interface MissExplanation {
  cause: MissCause;
  reason: string;
  details: string[];
}

const MAX_FILES = 10;

/** Lists added, removed and changed files between two per-file checksum lists. */
export function diffFiles(before: FileEntry[], after: FileEntry[]): string[] {
  // One map, emptied as paths are matched: what is left was removed. (A second `seen` set
  // of every path cost another ~10 MB for a 100,000-file COPY.)
  const old = new Map<string, Digest>();
  for (const f of before) old.set(f.path, f.digest);
  const out: string[] = [];
  for (const f of after) {
    const o = old.get(f.path);
    if (o === undefined) out.push(`added ${f.path} (${short(f.digest)})`);
    else {
      old.delete(f.path);
      if (o !== f.digest) out.push(`changed ${f.path} (${short(o)} -> ${short(f.digest)})`);
    }
  }
  for (const f of before) if (old.has(f.path)) out.push(`removed ${f.path} (${short(f.digest)})`);
  return out;
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

function summarize(items: string[]): string {
  const shown = items.slice(0, MAX_FILES).map((s) => s.replace(/ \(.*\)$/, ''));
  const more = items.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
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
      const details = files?.oldFiles && files.newFiles ? diffFiles(files.oldFiles, files.newFiles) : [];
      const what = details.length > 0 ? `: ${summarize(details)}` : '';
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
