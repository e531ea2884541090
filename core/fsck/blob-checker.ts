/**
 * Blob checks: every file in blobs/sha256 must hash to its own name. Results are memoised
 * per digest, so layers, refs and cache records can ask about the blobs they name (also
 * blobs that appeared after the scan began, written by a concurrent build) at no extra cost.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Digest, isDigest } from '../oci/digest.js';
import type { FsckContext } from './fsck-context.js';

export type BlobStatus = 'ok' | 'missing' | 'corrupt';

const HEX64 = /^[0-9a-f]{64}$/;

export class BlobChecker {
  readonly #ctx: FsckContext;
  readonly #memo = new Map<Digest, Promise<BlobStatus>>();

  constructor(ctx: FsckContext) {
    this.#ctx = ctx;
  }

  /** Checks every entry of blobs/sha256; returns how many blobs were hashed. */
  async scan(): Promise<number> {
    const dir = join(this.#ctx.store.root, 'blobs', 'sha256');
    let count = 0;
    for (const name of (await readdir(dir)).sort()) {
      if (HEX64.test(name)) {
        count++;
        await this.status(`sha256:${name}`);
      } else if (!name.startsWith('.')) {
        const p = this.#ctx.report('blob-stray', join(dir, name), 'not named by a sha256 digest');
        await this.#ctx.quarantineFor(p, join(dir, name), 'blobs');
      }
    }
    return count;
  }

  /** The blob's health; a corrupt blob is reported (and quarantined with --repair) once. */
  status(d: Digest): Promise<BlobStatus> {
    if (!isDigest(d)) return Promise.resolve('missing');
    let s = this.#memo.get(d);
    if (s === undefined) {
      s = this.#check(d);
      this.#memo.set(d, s);
    }
    return s;
  }

  async #check(d: Digest): Promise<BlobStatus> {
    const path = this.#ctx.store.blobPath(d);
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(createReadStream(path), async (src: AsyncIterable<Buffer>) => {
        for await (const chunk of src) {
          hash.update(chunk);
          size += chunk.length;
        }
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      const p = this.#ctx.report('blob-corrupt', path, `cannot be read: ${(err as Error).message}`);
      await this.#ctx.quarantineFor(p, path, 'blobs');
      return 'corrupt';
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual === d) return 'ok';
    const p = this.#ctx.report('blob-corrupt', path, `content (${size} bytes) hashes to ${actual}`);
    await this.#ctx.quarantineFor(p, path, 'blobs');
    return 'corrupt';
  }
}
