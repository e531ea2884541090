/**
 * HashingSink copies small pushes into two alternating 1 MiB slabs (and lets a reader fill
 * one directly): the bytes that come out must be exactly those pushed, in order, a slab
 * must never be filled again while its write is in flight, and no more than two writes may
 * wait on the output at once (backpressure).
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HashingSink } from '../../../core/diff/hashing-sink.js';

/** A slow Writable: each write completes 2 ms later, then checks its bytes were left alone. */
class SlowOut extends EventEmitter {
  readonly chunks: Buffer[] = [];
  outstanding = 0;
  maxOutstanding = 0;
  reusedEarly = 0;
  ended = false;
  failAt = -1;

  write(data: Buffer, cb: (err?: Error | null) => void): boolean {
    const copy = Buffer.from(data);
    const index = this.chunks.length;
    this.chunks.push(copy);
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    setTimeout(() => {
      if (!data.equals(copy)) this.reusedEarly++;
      this.outstanding--;
      cb(index === this.failAt ? new Error('disk full') : null);
    }, 2);
    return false;
  }

  end(): void {
    this.ended = true;
  }
}

async function feed(sink: HashingSink): Promise<Buffer> {
  const parts: Buffer[] = [];
  const push = async (b: Buffer) => {
    parts.push(Buffer.from(b));
    await sink.push(b);
  };
  // Small pieces across several slab boundaries, one reused buffer (as a caller may).
  const scratch = Buffer.alloc(700);
  for (let i = 0; i < 4000; i++) {
    scratch.fill(i % 251);
    await push(scratch.subarray(0, 1 + (i % 700)));
  }
  await push(randomBytes(200_000)); // past the copy bound: goes through uncopied
  for (let i = 0; i < 300; i++) {
    const n = 3000 + i;
    const room = await sink.reserve(n);
    room.fill((i * 7) % 256);
    parts.push(Buffer.from(room));
    sink.commit(n);
  }
  await push(randomBytes(64 * 1024)); // at the copy bound: copied
  return Buffer.concat(parts);
}

describe('HashingSink', () => {
  it.each([false, true])(
    'writes and hashes exactly what was pushed, never refilling a slab still being written (reuse %s)',
    async (reuse) => {
      const out = new SlowOut();
      const sink = new HashingSink(out as unknown as Writable, { reuse });
      const want = await feed(sink);
      const { digest, size } = await sink.finish();
      sink.release();
      const got = Buffer.concat(out.chunks);
      expect(got.equals(want)).toBe(true);
      expect(size).toBe(want.length);
      expect(digest).toBe(`sha256:${createHash('sha256').update(want).digest('hex')}`);
      expect(out.ended).toBe(true);
      expect(out.reusedEarly).toBe(0);
      expect(out.maxOutstanding).toBeLessThanOrEqual(2);
      expect(out.chunks.length).toBeGreaterThan(3);
    },
  );

  it('leaves each slab to a PassThrough, whose reader takes the very Buffer later', async () => {
    const out = new PassThrough({ highWaterMark: 1 << 30 }); // accepts everything, read only at the end
    const sink = new HashingSink(out);
    const want = await feed(sink);
    await sink.finish();
    sink.release();
    const got: Buffer[] = [];
    for await (const c of out) got.push(c as Buffer);
    expect(Buffer.concat(got).equals(want)).toBe(true);
  });

  it('only hashes without an output', async () => {
    const sink = new HashingSink(null);
    const want = await feed(sink);
    expect(sink.size).toBe(want.length);
    const { digest, size } = await sink.finish();
    expect(size).toBe(want.length);
    expect(digest).toBe(`sha256:${createHash('sha256').update(want).digest('hex')}`);
  });

  it('fails on the write after the output reported an error', async () => {
    const out = new SlowOut();
    out.failAt = 0;
    const sink = new HashingSink(out as unknown as Writable);
    await expect(feed(sink).then(() => sink.finish())).rejects.toThrow('disk full');
    expect(out.ended).toBe(false);
  });

  it('refuses to reserve more than a slab', async () => {
    await expect(new HashingSink(null).reserve((1 << 20) + 1)).rejects.toThrow(RangeError);
  });
});
