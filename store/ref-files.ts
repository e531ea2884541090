/**
 * The `refs/` folder: one file per name, `refs/<encoded name>.json` holding
 * `{ "name": ..., "target": RefTarget }`. The file name is the name made path-safe by
 * encodeName (`alpine%3Alatest.json`); the JSON keeps the name as given, for listing.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDigest } from '../core/oci/index.js';
import { readJsonFile, writeFileAtomic } from './atomic-file.js';
import { removeFile } from './fs-presence.js';
import type { RefTarget } from './ref-target.js';
import { decodeName, encodeName } from './safe-name.js';

export class RefFiles {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  #path(name: string): string {
    return join(this.dir, `${encodeName(name, 'ref')}.json`);
  }

  /**
   * Points `name` at `target`, replacing any previous target atomically. A ref that already
   * says exactly this is left alone: a rebuild that changed nothing re-tags every time, and
   * the write's two fsyncs were most of a no-op build's disk time.
   */
  async set(name: string, target: RefTarget): Promise<void> {
    parseDigest(target.config);
    if (target.manifest !== undefined) parseDigest(target.manifest.digest);
    for (const d of Object.values(target.platforms ?? {})) parseDigest(d);
    const path = this.#path(name);
    const text = `${JSON.stringify({ name, target }, null, 2)}\n`;
    if ((await readFile(path, 'utf8').catch(() => undefined)) === text) return;
    await writeFileAtomic(path, text);
  }

  /** The target, undefined when absent; DigestMismatchError naming the file when corrupt. */
  async get(name: string): Promise<RefTarget | undefined> {
    return (await readJsonFile<{ target: RefTarget }>(this.#path(name)))?.target;
  }

  /** Every ref, sorted by name. */
  async list(): Promise<{ name: string; target: RefTarget }[]> {
    const out: { name: string; target: RefTarget }[] = [];
    for (const file of await readdir(this.dir)) {
      if (!file.endsWith('.json') || decodeName(file.slice(0, -5)) === undefined) continue;
      const rec = await readJsonFile<{ name: string; target: RefTarget }>(join(this.dir, file));
      if (rec !== undefined) out.push({ name: rec.name, target: rec.target });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Removes a ref; true if it existed. */
  delete(name: string): Promise<boolean> {
    return removeFile(this.#path(name));
  }
}
