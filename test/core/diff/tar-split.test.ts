/**
 * replayTarSplit treats its index as damage-prone: a path that leaves the diff dir, records
 * after the end, or more bytes than the layer has are refused before anything outside the
 * diff dir is read.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { replayTarSplit } from '../../../core/diff/tar-split.js';
import type { Digest } from '../../../core/oci/digest.js';
import { DigestMismatchError, InvalidInputError } from '../../../core/oci/errors.js';
import { useTempDirs } from '../../e2e/helpers/temp-dirs.js';
import { collector } from '../export/read-archive.js';

const tempDir = useTempDirs();
const sha = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const raw = (b: Buffer) => Buffer.concat([Buffer.from([0x52]), u32(b.length), b]);
const end = () => Buffer.from([0x45, 0, 0, 0, 0]);
function file(rel: string, size: number): Buffer {
  const name = Buffer.from(rel);
  const size64 = Buffer.alloc(8);
  size64.writeBigUInt64BE(BigInt(size));
  return Buffer.concat([Buffer.from([0x46]), u32(8 + name.length), size64, name]);
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Writes an index of `records` and replays it over a diff dir holding `a/f` = "inside". */
async function replay(records: Buffer[], size = 1 << 20) {
  const dir = await tempDir();
  const diff = join(dir, 'diff');
  await mkdir(join(diff, 'a'), { recursive: true });
  await writeFile(join(diff, 'a', 'f'), 'inside');
  await writeFile(join(dir, 'outside'), 'OUTSIDE');
  const index = gzipSync(Buffer.concat([Buffer.from('strata tar-split 1\n'), ...records]));
  const path = join(dir, 'tar-split.gz');
  await writeFile(path, index);
  const out = collector();
  const run = replayTarSplit(diff, path, { digest: sha(index), size: index.length }, out.stream, {
    size,
    what: 'test layer',
  });
  return { run, bytes: out.bytes };
}

describe('replayTarSplit', () => {
  it('writes raw records and file data in order', async () => {
    const { run, bytes } = await replay([
      raw(Buffer.from('head:')),
      file('a/f', 6),
      raw(Buffer.from(':tail')),
      end(),
    ]);
    expect(await run).toEqual({ diffId: sha(Buffer.from('head:inside:tail')), size: 16 });
    expect(bytes().toString()).toBe('head:inside:tail');
  });

  it('refuses a path that leaves the diff dir, before reading it', async () => {
    const { run, bytes } = await replay([file('../outside', 7), end()]);
    await expect(run).rejects.toThrow(InvalidInputError);
    await expect(run).rejects.toThrow(/not a clean relative path/);
    expect(bytes().toString()).not.toContain('OUTSIDE');
  });

  it('refuses records after the end, a file of another size, and more bytes than the layer', async () => {
    await expect((await replay([end(), raw(Buffer.from('x'))])).run).rejects.toThrow(
      /goes on after its end; the store was modified/,
    );
    await expect((await replay([file('a/f', 5), end()])).run).rejects.toThrow(
      /a\/f is 6 bytes, the layer's tar held 5/,
    );
    await expect((await replay([raw(Buffer.alloc(100)), end()], 99)).run).rejects.toThrow(
      DigestMismatchError,
    );
    await expect((await replay([raw(Buffer.alloc(10))])).run).rejects.toThrow(/index is truncated/);
  });
});
