/**
 * Tar-split: a layer tar from outside, kept as its diff dir plus a small index from which
 * the exact original bytes can be written again (Docker keeps the same, as
 * `tar-split.json.gz`: https://github.com/vbatts/tar-split).
 *
 * A diff dir alone re-tars to the original only when the original came from a writer like
 * ours (sorted, PAX, no uname...). For any other tar, the index keeps every byte that is not
 * the data of a regular file written to the diff dir (headers, PAX and GNU meta headers,
 * padding, the trailer and whatever follows it), in order, and for each file's data the
 * path it went to and its size. Replaying it reads those files back: no second copy of the
 * layer is stored and none is made at load.
 *
 * Index format (gzip): the magic line, then records `tag u32be-length payload`:
 *   `R` raw bytes (at most RAW_MAX); `F` a body: u64be size (> 0), then the path (UTF-8,
 *   relative to the diff dir); `E` (empty) the end. Anything after `E` is damage.
 */
import { createHash } from 'node:crypto';
import { closeSync, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { BelowRoot } from '../fs/open-below.js';
import { openVerifiedFile } from '../fs/read-bounded.js';
import type { Digest } from '../oci/digest.js';
import { DigestMismatchError } from '../oci/errors.js';
import { HashingSink } from './hashing-sink.js';
import { pushFileBytes } from './push-file-bytes.js';
import { MAX_NAME } from './read-entry-header.js';

const MAGIC = Buffer.from('strata tar-split 1\n');
const RAW = 0x52;
const FILE = 0x46;
const END = 0x45;
/** Raw bytes per `R` record: bounds what a reader holds at once. */
const RAW_MAX = 1 << 20;
/** Index bytes gathered before they go to gzip. */
const FLUSH = 1 << 20;

/** A written index, as layer.json records it. */
export interface TarSplitFile {
  digest: Digest;
  size: number;
}

/**
 * Records one tar as TarReader reads it (onRaw for everything but file data, file() before
 * each regular file's data goes to the diff dir) into a gzip file. Lifecycle: create, the
 * apply, then finish() (the index) or abort() (the file removed). `usable` turns false when
 * the apply removed a file whose data the index points at (a path given twice): the diff
 * dir then cannot give the original back and the caller must keep the tar some other way.
 */
export class TarSplitWriter {
  readonly path: string;
  #usable = true;
  readonly #gz: Gzip;
  readonly #written: Promise<TarSplitFile>;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #raw: Buffer[] = [];
  #rawBytes = 0;
  /** Paths the index takes file data from. */
  readonly #files = new Set<string>();

  private constructor(path: string) {
    this.path = path;
    this.#gz = createGzip({ level: 1 });
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb: TransformCallback) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    this.#written = pipeline(this.#gz, tap, createWriteStream(path, { flags: 'wx', mode: 0o644 })).then(
      () => ({ digest: `sha256:${hash.digest('hex')}` as Digest, size }),
    );
    this.#written.catch(() => {}); // surfaced by settle/finish
    this.#pending.push(MAGIC);
    this.#pendingBytes = MAGIC.length;
  }

  /** Starts an index at `path`, which must not exist. */
  static create(path: string): TarSplitWriter {
    return new TarSplitWriter(path);
  }

  get usable(): boolean {
    return this.#usable;
  }

  /** Bytes of the tar that are kept in the index (copied: the caller's buffer may be reused). */
  readonly raw = (bytes: Buffer): void => {
    if (bytes.length === 0) return;
    this.#raw.push(Buffer.from(bytes));
    this.#rawBytes += bytes.length;
    if (this.#rawBytes >= RAW_MAX) this.#closeRaw();
  };

  /** The next `size` bytes of the tar are the data of the file at `rel` in the diff dir. */
  file(rel: string, size: number): void {
    if (size === 0) return;
    this.#closeRaw();
    const name = Buffer.from(rel);
    const head = Buffer.alloc(13);
    head[0] = FILE;
    head.writeUInt32BE(8 + name.length, 1);
    head.writeBigUInt64BE(BigInt(size), 5);
    this.#emit(head);
    this.#emit(name);
    this.#files.add(rel);
  }

  /** `rel` (and everything under it) was removed or replaced in the diff dir. */
  removed(rel: string): void {
    if (!this.#usable || this.#files.size === 0) return;
    if (this.#files.has(rel)) {
      this.#usable = false;
      return;
    }
    const under = `${rel}/`;
    for (const f of this.#files) {
      if (f.startsWith(under)) {
        this.#usable = false;
        return;
      }
    }
  }

  /** Waits while gzip is behind (backpressure for the caller's loop); rethrows its errors. */
  async settle(): Promise<void> {
    if (this.#pendingBytes >= FLUSH) this.#flush();
    if (this.#gz.writableNeedDrain) {
      await Promise.race([new Promise((resolve) => this.#gz.once('drain', resolve)), this.#written]);
    }
  }

  /** Ends the index and returns its digest and size (the file is complete on return). */
  async finish(): Promise<TarSplitFile> {
    this.#closeRaw();
    this.#emit(Buffer.from([END, 0, 0, 0, 0]));
    this.#flush();
    this.#gz.end();
    return this.#written;
  }

  /** Stops and removes the file. */
  async abort(): Promise<void> {
    this.#gz.destroy();
    await this.#written.catch(() => {});
    await rm(this.path, { force: true });
  }

  #closeRaw(): void {
    if (this.#rawBytes === 0) return;
    const head = Buffer.alloc(5);
    head[0] = RAW;
    head.writeUInt32BE(this.#rawBytes, 1);
    this.#emit(head);
    for (const b of this.#raw) this.#emit(b);
    this.#raw = [];
    this.#rawBytes = 0;
  }

  #emit(b: Buffer): void {
    this.#pending.push(b);
    this.#pendingBytes += b.length;
  }

  #flush(): void {
    if (this.#pendingBytes === 0) return;
    this.#gz.write(Buffer.concat(this.#pending, this.#pendingBytes));
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

export interface ReplayOptions {
  /** The tar's recorded size: the replay may not write more (a damaged index). */
  size: number;
  /** Names the layer in messages. */
  what: string;
}

/**
 * Writes the tar `index` describes to `out` (ended on success; null only hashes), reading
 * file data from `diffDir` through no-follow opens. The index must be exactly `index`
 * (digest, size) and each file exactly the size it names, else DigestMismatchError (the
 * store was modified); the caller compares the returned diffID with the recorded one.
 */
export async function replayTarSplit(
  diffDir: string,
  indexPath: string,
  index: TarSplitFile,
  out: Writable | null,
  opts: ReplayOptions,
): Promise<{ diffId: Digest; size: number }> {
  const damaged = (why: string) =>
    new DigestMismatchError(`write layer ${opts.what}: ${why}; the store was modified`);
  const src = openVerifiedFile(indexPath, index, {
    maxBytes: index.size,
    what: `tar-split index of ${opts.what}`,
  });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  const feeding = pipeline(src, gunzip);
  feeding.catch(() => {}); // surfaced through the iteration below
  const sink = new HashingSink(out);
  const dir = new BelowRoot(diffDir);
  try {
    const records = new RecordReader(gunzip[Symbol.asyncIterator](), damaged);
    if (!(await records.exact(MAGIC.length)).equals(MAGIC)) throw damaged('the tar-split index has no magic');
    for (;;) {
      const head = await records.exact(5);
      const len = head.readUInt32BE(1);
      if (head[0] === END) {
        if (len !== 0 || !(await records.atEnd())) throw damaged('the tar-split index goes on after its end');
        break;
      }
      if (head[0] === RAW) {
        if (len === 0 || len > RAW_MAX) throw damaged('the tar-split index has a bad raw record');
        await sink.push(await records.exact(len));
      } else if (head[0] === FILE) {
        if (len <= 8 || len > 8 + 4 * MAX_NAME) throw damaged('the tar-split index has a bad file record');
        const body = await records.exact(len);
        const size = Number(body.readBigUInt64BE(0));
        const rel = body.toString('utf8', 8);
        if (size === 0 || sink.size + size > opts.size)
          throw damaged(`the tar-split index is too long at ${rel}`);
        const f = dir.openFile(rel, `write layer ${opts.what}`);
        if (f.size !== size) {
          closeSync(f.fd);
          throw damaged(`${diffDir}/${rel} is ${f.size} bytes, the layer's tar held ${size}`);
        }
        await pushFileBytes(sink, f.fd, `${diffDir}/${rel}`, size);
      } else throw damaged(`the tar-split index has an unknown record ${head[0]}`);
      if (sink.size > opts.size) throw damaged('the tar-split index is longer than the layer');
    }
    await feeding;
    // The sink hashes (made without `hash: false`), so the digest is there.
    return await sink.finish().then(({ digest, size }) => ({ diffId: digest as Digest, size }));
  } catch (err) {
    if (String((err as NodeJS.ErrnoException).code ?? '').startsWith('Z_'))
      throw damaged(`the tar-split index is damaged (${(err as Error).message})`);
    throw err;
  } finally {
    dir.close();
    sink.release();
    gunzip.destroy();
  }
}

/** Exact reads over a stream of chunks. */
class RecordReader {
  readonly #it: AsyncIterator<Buffer>;
  readonly #damaged: (why: string) => Error;
  #buf: Buffer = Buffer.alloc(0);

  constructor(it: AsyncIterator<Buffer>, damaged: (why: string) => Error) {
    this.#it = it;
    this.#damaged = damaged;
  }

  async exact(n: number): Promise<Buffer> {
    if (this.#buf.length < n) {
      const parts = [this.#buf];
      let have = this.#buf.length;
      while (have < n) {
        const r = await this.#it.next();
        if (r.done) throw this.#damaged('the tar-split index is truncated');
        parts.push(r.value);
        have += r.value.length;
      }
      this.#buf = Buffer.concat(parts, have);
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  async atEnd(): Promise<boolean> {
    if (this.#buf.length > 0) return false;
    const r = await this.#it.next();
    return r.done === true;
  }
}
