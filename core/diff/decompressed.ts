/**
 * decompressed: a layer stream as uncompressed tar bytes, whatever its compression. Gzip
 * and zstd are recognised by their magic numbers (not by a media type, which a hostile or
 * sloppy source may get wrong); anything else is passed through as plain tar.
 */
import type { Readable, Transform } from 'node:stream';
import { pipeline, Readable as ReadableCtor } from 'node:stream';
import * as zlib from 'node:zlib';
import { InvalidInputError } from '../oci/errors.js';

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/**
 * Yields `src`'s bytes, decompressed. Pulling drives decompression, so a consumer that
 * stops early (a size cap) keeps memory bounded; returning early destroys the decoder.
 * Corrupt or truncated compressed data is an InvalidInputError whose message starts `label`.
 */
export async function* decompressed(src: Readable, label = 'read layer'): AsyncGenerator<Buffer> {
  const it: AsyncIterator<Buffer> = src[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let n = 0;
  while (n < 4) {
    const r = await it.next();
    if (r.done) break;
    head.push(r.value);
    n += r.value.length;
  }
  const first = Buffer.concat(head);
  async function* all(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  let codec: Transform | null = null;
  if (first[0] === 0x1f && first[1] === 0x8b)
    codec = zlib.createGunzip({ chunkSize: 1024 * 1024 }); // fewer, larger chunks downstream
  else if (first.subarray(0, 4).equals(ZSTD_MAGIC)) {
    // Node >= 22.15 has zstd in zlib; Node 20 does not.
    const make = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
    if (make === undefined) throw new InvalidInputError(`${label}: zstd needs Node >= 22.15`);
    codec = make();
  }
  if (codec === null) {
    yield* all();
    return;
  }
  const feed = ReadableCtor.from(all(), { objectMode: false });
  pipeline(feed, codec, () => {}); // errors surface through the iteration below
  try {
    for await (const chunk of codec) yield chunk as Buffer;
  } catch (err) {
    const code = String((err as NodeJS.ErrnoException).code ?? '');
    if (code.startsWith('Z_') || code.startsWith('ERR_ZLIB') || code.startsWith('ERR_ZSTD')) {
      throw new InvalidInputError(`${label}: bad compressed stream: ${(err as Error).message}`, {
        cause: err,
      });
    }
    throw err;
  } finally {
    codec.destroy();
    feed.destroy();
  }
}
