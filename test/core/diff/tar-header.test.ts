import { describe, expect, it } from 'vitest';
import { BLOCK, decodeHeader, encodeHeader, type TarHeader } from '../../../core/diff/tar-header.js';

/** The header checksum as POSIX defines it: every byte summed, the checksum field as spaces. */
function expectedChecksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum;
}

const base: TarHeader = { name: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 };

const CASES: [string, TarHeader][] = [
  ['a short file', { ...base, name: 'data/d0050/f005000.bin', size: 4107, mtime: 1_796_657_349 }],
  ['a directory', { ...base, name: 'data/d0050', type: 'dir', mode: 0o755 }],
  ['setuid, big ids in range', { ...base, name: 'bin/su', mode: 0o4755, uid: 0o7777777, gid: 65534 }],
  ['a name split into ustar prefix', { ...base, name: `${'p'.repeat(120)}/${'n'.repeat(90)}` }],
  ['a non-ASCII name (PAX, ASCII fallback)', { ...base, name: 'héllo wörld/ünïcode.txt' }],
  ['a long symlink target (PAX)', { ...base, name: 'l', type: 'symlink', linkname: 't'.repeat(150) }],
  ['a hard link', { ...base, name: 'b', type: 'link', linkname: 'etc/app/config' }],
  ['a device', { ...base, name: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 }],
  ['ids past ustar (PAX)', { ...base, name: 'x', uid: 1 << 22, gid: 1 << 23 }],
  [
    'an xattr (PAX)',
    { ...base, name: 'cap', xattrs: new Map([['security.capability', Buffer.from([1, 0xff, 0x80])]]) },
  ],
];

describe('encodeHeader', () => {
  it.each(CASES)('every block carries the checksum of its bytes: %s', (_, h) => {
    const bytes = encodeHeader(h);
    expect(bytes.length % BLOCK).toBe(0);
    // The PAX header block (if any) and the entry's own block; PAX records sit between.
    const blocks = [bytes.subarray(bytes.length - BLOCK)];
    if (bytes.length > BLOCK) blocks.push(bytes.subarray(0, BLOCK));
    for (const block of blocks) {
      const field = block.toString('latin1', 148, 156);
      expect(field).toMatch(/^[0-7]{6}\0 $/);
      expect(Number.parseInt(field.slice(0, 6), 8)).toBe(expectedChecksum(block));
      expect(() => decodeHeader(block)).not.toThrow();
    }
    const main = decodeHeader(bytes.subarray(bytes.length - BLOCK));
    expect(main.mode).toBe(h.mode);
    expect(main.size).toBe(h.size);
    expect(main.mtime).toBe(h.mtime);
  });
});
