/**
 * ADD's archive test, as BuildKit's `isArchivePath`: a regular file is an archive when its
 * bytes (after decompression, recognised by magic number, never by file name) start with a
 * valid tar header. gzip and zstd go through core/diff's decoder; bzip2 and xz go through
 * Debian's `bzip2`/`xz` binaries: the npm choices are a browser-oriented stream shim
 * (unbzip2-stream) and a WebAssembly build with a web-streams API (xz-decompress) or a
 * native addon (lzma-native); the reference C tools are on every Debian machine, stream,
 * and are what these formats are usually checked against.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { decompressed } from '../diff/decompressed.js';
import { decodeHeader } from '../diff/tar-header.js';
import { RuntimeMissingError } from '../oci/errors.js';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

export function compressionOf(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  return 'none';
}

/**
 * True when `block` (512 bytes) is a tar header: core/diff's decodeHeader accepts it (the
 * checksum and the numeric fields), the rule every reader of outside tars shares.
 */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < 512) return false;
  try {
    decodeHeader(block);
    return true;
  } catch {
    return false;
  }
}

/** The file's bytes, decompressed. bzip2/xz errors surface as stream errors. */
export function openDecompressed(file: string, kind: Compression): Readable {
  if (kind === 'bzip2' || kind === 'xz') {
    const out = new PassThrough();
    const child = spawn(kind, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (err) =>
      out.destroy(
        new RuntimeMissingError(
          `add: decompress ${kind}: cannot run ${kind} (install ${kind === 'xz' ? 'xz-utils' : 'bzip2'})`,
          { cause: err },
        ),
      ),
    );
    child.on('close', (code) => {
      if (code !== 0 && code !== null)
        out.destroy(new Error(`add: decompress ${kind}: ${stderr.trim() || `exit ${code}`}`));
    });
    const src = createReadStream(file);
    src.on('error', (err) => out.destroy(err));
    child.stdin.on('error', () => {}); // EPIPE when the reader stops early
    src.pipe(child.stdin);
    child.stdout.pipe(out);
    out.on('close', () => {
      src.destroy();
      if (child.exitCode === null) child.kill();
    });
    return out;
  }
  // gzip/zstd/plain: core/diff's decoder detects by magic itself.
  return Readable.from(decompressed(createReadStream(file)), { objectMode: false });
}

/** The compression of `file` if it is a tar archive (possibly compressed), else undefined. */
export async function detectArchive(file: string): Promise<Compression | undefined> {
  const fh = await open(file, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const kind = compressionOf(head);
  if (kind === 'none') return isTarHeader(head) ? 'none' : undefined;
  const stream = openDecompressed(file, kind);
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of stream) {
      chunks.push(c as Buffer);
      n += (c as Buffer).length;
      if (n >= 512) break;
    }
  } catch {
    return undefined; // not decompressible: an ordinary file that happens to start with a magic
  } finally {
    stream.destroy();
  }
  return isTarHeader(Buffer.concat(chunks).subarray(0, 512)) ? kind : undefined;
}
