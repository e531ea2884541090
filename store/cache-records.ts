/**
 * The `cache/` folder: one build-cache record per file, `cache/<key-hex>.json`. Records are
 * opaque JSON objects with a `key` digest (core decides what else they hold); they are
 * written pretty-printed so a person can diff two of them to see why a step missed.
 */
import { readdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { type Digest, digestHex, parseDigest } from '../core/oci/index.js';
import { readJsonFile, writeFileAtomic } from './atomic-file.js';
import { isNotFound } from './fs-errors.js';
import { removeFile } from './fs-presence.js';

const RECORD_FILE = /^[0-9a-f]{64}\.json$/;

export class CacheRecords {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  #path(key: Digest): string {
    return join(this.dir, `${digestHex(parseDigest(key))}.json`);
  }

  /** The record, undefined when absent; DigestMismatchError naming the file when corrupt. */
  get<T extends { key: Digest }>(key: Digest): Promise<T | undefined> {
    return readJsonFile<T>(this.#path(key));
  }

  /** Writes (or replaces) the record for `rec.key` atomically. */
  async put(rec: { key: Digest }): Promise<void> {
    await writeFileAtomic(this.#path(rec.key), `${JSON.stringify(rec, null, 2)}\n`);
  }

  /** Every record, in key order. */
  async list<T extends { key: Digest }>(): Promise<T[]> {
    const out: T[] = [];
    for (const name of await this.files()) {
      const rec = await this.get<T>(`sha256:${name.slice(0, 64)}`);
      if (rec !== undefined) out.push(rec);
    }
    return out;
  }

  /**
   * Marks the records a build used as used now: a record's file mtime is its last use (set
   * when written, moved on by every hit), what the size-capped GC sorts by, least recently
   * used first. A record removed meanwhile is skipped. With `staleAfterMs`, a record whose
   * last use is more recent than that is left as it is (a stat, no write): a build that runs
   * nothing writes nothing, and the GC's order stays right to that granularity.
   */
  async touch(keys: Iterable<Digest>, when = new Date(), staleAfterMs?: number): Promise<void> {
    for (const key of new Set(keys)) {
      if (staleAfterMs !== undefined) {
        const st = await stat(this.#path(key)).catch(() => undefined);
        if (st === undefined || when.getTime() - st.mtimeMs < staleAfterMs) continue;
      }
      await utimes(this.#path(key), when, when).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    }
  }

  /** When each record was last used (ms since the epoch; see touch()), by key. */
  async lastUsed(): Promise<Map<Digest, number>> {
    const out = new Map<Digest, number>();
    for (const name of await this.files()) {
      const st = await stat(join(this.dir, name)).catch(() => undefined);
      if (st) out.set(`sha256:${name.slice(0, 64)}`, st.mtimeMs);
    }
    return out;
  }

  /** Idempotent. */
  async remove(key: Digest): Promise<void> {
    await removeFile(this.#path(key));
  }

  /** The record file names, sorted. */
  async files(): Promise<string[]> {
    return (await readdir(this.dir)).filter((n) => RECORD_FILE.test(n)).sort();
  }
}
