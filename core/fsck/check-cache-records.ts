/**
 * Cache record checks, per `cache/<key-hex>.json`: the file parses and has a record's shape;
 * its key is its file name and the sha256 of its keyInputs (cacheKey(), so a hand-edited
 * input cannot make a record hit for the wrong step); its result layer is present, healthy
 * and has the recorded diffID; its per-file checksum blob (COPY) is present and healthy.
 *
 * Repair: a record that is corrupt or whose key does not match goes to quarantine/cache/;
 * one that points at something missing or damaged is removed (it can never hit again).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheKey, isKeyParent } from '../cache/cache-key.js';
import type { CacheRecord } from '../cache/records.js';
import { type Digest, isDigest } from '../oci/digest.js';
import type { BlobChecker } from './blob-checker.js';
import type { FsckContext } from './fsck-context.js';
import type { LayerChecker } from './layer-checker.js';

const RECORD_FILE = /^[0-9a-f]{64}\.json$/;

/** Checks every cache record; returns how many were checked. */
export async function checkCacheRecords(
  ctx: FsckContext,
  blobs: BlobChecker,
  layers: LayerChecker,
): Promise<number> {
  const dir = join(ctx.store.root, 'cache');
  let count = 0;
  for (const file of (await readdir(dir)).filter((n) => RECORD_FILE.test(n)).sort()) {
    count++;
    const path = join(dir, file);
    const rec = await readRecord(path);
    if (rec === undefined) continue; // removed meanwhile (a prune or another fsck)
    if (typeof rec === 'string') {
      const p = ctx.report('cache-record', path, rec);
      await ctx.quarantineFor(p, path, 'cache');
      continue;
    }
    const want = `sha256:${file.slice(0, 64)}`;
    const computed = cacheKey(rec.keyInputs);
    if (rec.key !== want || computed !== want) {
      const p = ctx.report(
        'cache-key',
        path,
        `key ${rec.key}, file name ${want}, keyInputs hash to ${computed}`,
      );
      await ctx.quarantineFor(p, path, 'cache');
      continue;
    }
    const dangling = await danglingProblem(blobs, layers, rec);
    if (dangling !== undefined) {
      const p = ctx.report(dangling.kind, path, dangling.detail);
      await ctx.repairWith(p, 'removed', () => ctx.store.removeCacheRecord(rec.key));
    }
  }
  return count;
}

/** The record, undefined when the file is gone, or a string saying why it is no record. */
async function readRecord(path: string): Promise<CacheRecord | string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `cannot be read: ${(err as Error).message}`;
  }
  let rec: CacheRecord;
  try {
    rec = JSON.parse(text) as CacheRecord;
  } catch (err) {
    return `not json: ${(err as Error).message}`;
  }
  const ki = rec?.keyInputs;
  const ok =
    typeof rec === 'object' &&
    rec !== null &&
    isDigest(rec.key) &&
    typeof ki === 'object' &&
    ki !== null &&
    isKeyParent(ki.parent) &&
    typeof ki.op === 'object' &&
    typeof ki.inputs === 'object' &&
    typeof rec.result === 'object' &&
    rec.result !== null &&
    (rec.result.chainId === undefined || isDigest(rec.result.chainId)) &&
    (rec.filesBlob === undefined || isDigest(rec.filesBlob));
  return ok ? rec : 'not a cache record: key, keyInputs {parent, op, inputs} or result missing or malformed';
}

async function danglingProblem(
  blobs: BlobChecker,
  layers: LayerChecker,
  rec: CacheRecord,
): Promise<{ kind: 'cache-layer' | 'cache-files'; detail: string } | undefined> {
  const c: Digest | undefined = rec.result.chainId;
  if (c !== undefined) {
    const st = await layers.status(c);
    if (st !== 'ok')
      return { kind: 'cache-layer', detail: `result layer ${c} is ${st === 'bad' ? 'damaged' : st}` };
    const diffId = layers.diffIdOf(c);
    if (rec.result.diffId !== undefined && diffId !== rec.result.diffId) {
      return { kind: 'cache-layer', detail: `result diffId ${rec.result.diffId}, layer ${c} has ${diffId}` };
    }
  }
  if (rec.filesBlob !== undefined) {
    const st = await blobs.status(rec.filesBlob);
    if (st !== 'ok') return { kind: 'cache-files', detail: `files blob ${rec.filesBlob} is ${st}` };
  }
  return undefined;
}
