import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mismatchError,
  openRegularNoFollow,
  openVerifiedFile,
  readFileBounded,
  readFileBoundedSync,
  readUserFileBounded,
  verifiedChunks,
} from '../../../core/fs/read-bounded.js';
import { sha256 } from '../../../core/oci/digest.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-read-bounded-'));
  await writeFile(join(dir, 'small'), 'hello');
  await symlink('/dev/zero', join(dir, 'zero'));
  await symlink('small', join(dir, 'link-to-small'));
  await mkdir(join(dir, 'sub'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function drain(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('openRegularNoFollow / readFileBounded', () => {
  it('reads a regular file within the cap', async () => {
    expect((await readFileBounded(join(dir, 'small'), 5)).toString()).toBe('hello');
  });

  it.each([
    ['a symlink to /dev/zero', 'zero', /symlink/],
    ['a symlink to a regular file', 'link-to-small', /symlink/],
    ['a directory', 'sub', /not a regular file/],
    ['a fifo (without blocking on it)', 'fifo', /not a regular file/],
    ['a missing file', 'absent', /no such file/],
  ])('refuses %s', async (_what, name, message) => {
    await expect(readFileBounded(join(dir, name), 1 << 20)).rejects.toThrow(message);
  });

  it('refuses a file over the cap, and one whose size is not the declared one', async () => {
    await expect(readFileBounded(join(dir, 'small'), 4)).rejects.toThrow(/5 bytes is more than the 4/);
    await expect(openRegularNoFollow(join(dir, 'small'), { maxBytes: 100, size: 4 })).rejects.toThrow(
      /5 bytes, its descriptor says 4/,
    );
  });
});

describe("readFileBoundedSync (an image's /etc/passwd and /etc/group)", () => {
  it('reads a regular file; absent, a fifo or a directory is undefined; a symlink or too big is refused', () => {
    expect(readFileBoundedSync(join(dir, 'small'), 100)?.toString()).toBe('hello');
    expect(readFileBoundedSync(join(dir, 'absent'), 100)).toBeUndefined();
    expect(readFileBoundedSync(join(dir, 'fifo'), 100)).toBeUndefined(); // returns at once
    expect(readFileBoundedSync(join(dir, 'sub'), 100)).toBeUndefined();
    expect(() => readFileBoundedSync(join(dir, 'zero'), 100)).toThrow(/is a symlink; it is not followed/);
    expect(() => readFileBoundedSync(join(dir, 'small'), 4, '/etc/passwd')).toThrow(
      /\/etc\/passwd: 5 bytes is more than the 4 allowed/,
    );
  });
});

describe("readUserFileBounded (the user's own ~/.docker/config.json)", () => {
  it('follows a symlink to a regular file; absent is undefined; a device, a dir or too big is refused', async () => {
    expect((await readUserFileBounded(join(dir, 'link-to-small'), 100))?.toString()).toBe('hello');
    expect(await readUserFileBounded(join(dir, 'absent'), 100)).toBeUndefined();
    await expect(readUserFileBounded(join(dir, 'zero'), 100)).rejects.toThrow(/not a regular file/);
    await expect(readUserFileBounded(join(dir, 'sub'), 100)).rejects.toThrow(/not a regular file/);
    await expect(readUserFileBounded(join(dir, 'small'), 4)).rejects.toThrow(
      /5 bytes is more than the 4 allowed/,
    );
  });
});

describe('verified reads', () => {
  const digest = sha256(Buffer.from('hello'));

  it('passes content that matches', async () => {
    const got = await drain(openVerifiedFile(join(dir, 'small'), { digest, size: 5 }, { maxBytes: 100 }));
    expect(got.toString()).toBe('hello');
  });

  it('fails at the end on a wrong digest, and at once on more bytes than declared', async () => {
    const other = sha256(Buffer.from('other'));
    await expect(
      drain(openVerifiedFile(join(dir, 'small'), { digest: other }, { maxBytes: 100 })),
    ).rejects.toThrow(/content is sha256:.* \(5 bytes\), expected sha256:/);
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield Buffer.alloc(1 << 16);
      }
    }
    const it = verifiedChunks(endless(), { digest, size: 5 }, mismatchError({ digest, size: 5 }, 'x'));
    await expect(drain(Readable.from(it))).rejects.toThrow(/over 5 bytes/);
    expect(pulled).toBe(1);
  });

  it('refuses a blob that is a symlink to /dev/zero before reading a byte', async () => {
    await expect(
      drain(openVerifiedFile(join(dir, 'zero'), { digest, size: 5 }, { maxBytes: 100 })),
    ).rejects.toThrow(/symlink/);
  });
});
