import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createParallelGzip, type ParallelGzipOptions } from '../../../core/diff/parallel-gzip.js';

/** Gzips `data` fed in writes of `step` bytes; resolves the gzip bytes. */
async function gzip(data: Buffer, step: number, opts: ParallelGzipOptions): Promise<Buffer> {
  const out: Buffer[] = [];
  const src = Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += step) yield data.subarray(i, i + step);
    })(),
  );
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      out.push(c);
      cb();
    },
  });
  await pipeline(src, createParallelGzip(opts), sink);
  return Buffer.concat(out);
}

const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i} of ${i % 37}\n`).join(''));

describe('createParallelGzip', () => {
  it('gunzips back to the input for text, random and empty data, across block boundaries', async () => {
    for (const data of [text, randomBytes(300_000), Buffer.alloc(0), Buffer.alloc(64 * 1024, 7)]) {
      const gz = await gzip(data, 10_000, { blockSize: 64 * 1024, concurrency: 3 });
      expect(gunzipSync(gz).equals(data)).toBe(true);
      expect(gz.subarray(0, 4)).toEqual(Buffer.from([0x1f, 0x8b, 8, 0]));
      expect(gz.readUInt32LE(gz.length - 4)).toBe(data.length);
    }
  });

  it('gives the same bytes whatever the write sizes and concurrency (blocks are fixed offsets)', async () => {
    const a = await gzip(text, 1_000, { blockSize: 32 * 1024, concurrency: 1 });
    const b = await gzip(text, 77_777, { blockSize: 32 * 1024, concurrency: 4 });
    expect(b.equals(a)).toBe(true);
    const c = await gzip(text, 1_000, { blockSize: 64 * 1024, concurrency: 1 });
    expect(c.equals(a)).toBe(false);
  });

  it('compresses text about as well as one stream (blocks share a 32 KiB dictionary)', async () => {
    const { gzipSync } = await import('node:zlib');
    const gz = await gzip(text, 8_192, { blockSize: 64 * 1024 });
    expect(gz.length).toBeLessThan(gzipSync(text).length * 1.02);
  });
});

describe('createParallelGzip on incompressible blocks', () => {
  it('stores them (no bigger than a deflated stream by more than 0.1%) and keeps compressible blocks deflated', async () => {
    const rnd = randomBytes(512 * 1024);
    const mixed = Buffer.concat([rnd, text.subarray(0, 512 * 1024)]);
    const gz = await gzip(mixed, 50_000, { blockSize: 512 * 1024 });
    expect(gunzipSync(gz).equals(mixed)).toBe(true);
    const { gzipSync } = await import('node:zlib');
    // The random half costs its own size (stored); the text half still compresses.
    expect(gz.length).toBeLessThan(rnd.length * 1.001 + gzipSync(text.subarray(0, 512 * 1024)).length * 1.05);
    // A stored block starts with BTYPE=00: the first deflate byte after the header is 0 or 1.
    expect(gz[10] & 0b110).toBe(0);
  });
});
