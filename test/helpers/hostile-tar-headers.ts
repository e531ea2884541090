/**
 * Tar headers as an attacker writes them: the table every reader of outside tars must refuse
 * the same way (core/diff/read-entry-header.ts). Each case is a whole tar: one good entry
 * first (so ADD still detects an archive), then the hostile header(s), then the end blocks.
 * Used by the unit table (test/core/diff/tar-header-validation.test.ts) and by the
 * end-to-end hostile-input corpus (test/reliability).
 */

export interface HeaderFields {
  name?: string;
  /** Typeflag character, default '0'. */
  type?: string;
  size?: number;
  /** Written as GNU base-256 (for sizes an octal field cannot hold); negative too. */
  size256?: bigint;
  mode?: string;
  /** Corrupts the checksum after it is computed. */
  badChecksum?: boolean;
}

/** One 512-byte ustar header block with a right (or deliberately wrong) checksum. */
export function headerBlock(f: HeaderFields): Buffer {
  const b = Buffer.alloc(512);
  b.write(f.name ?? 'f', 0, 100, 'utf8');
  b.write(f.mode ?? '0000644\0', 100, 8, 'ascii');
  b.write('0000000\0', 108, 8, 'ascii');
  b.write('0000000\0', 116, 8, 'ascii');
  if (f.size256 !== undefined) {
    let v = f.size256 < 0n ? (1n << 96n) + f.size256 : f.size256;
    for (let i = 135; i > 124; i--) {
      b[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    b[124] = f.size256 < 0n ? 0xff : 0x80;
  } else b.write(`${(f.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 12, 'ascii');
  b.write('00000000000\0', 136, 12, 'ascii');
  b[156] = (f.type ?? '0').charCodeAt(0);
  b.write('ustar\u000000', 257, 8, 'ascii');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i];
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  if (f.badChecksum) b[148 + 5] = b[148 + 5] === 0x30 ? 0x31 : 0x30;
  return b;
}

/** A header followed by its data, padded to whole blocks. */
export function member(f: HeaderFields, data: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = Buffer.from(data);
  const pad = (512 - (body.length % 512)) % 512;
  return Buffer.concat([headerBlock({ size: body.length, ...f }), body, Buffer.alloc(pad)]);
}

/** A PAX `x` header whose records are given as `key=value` strings (lengths computed). */
export function paxMember(records: string[]): Buffer {
  return member({ name: 'PaxHeaders/f', type: 'x' }, Buffer.concat(records.map(paxRecord)));
}

export function paxRecord(kv: string): Buffer {
  const body = Buffer.byteLength(kv) + 2; // ' ' and '\n'
  let len = body + String(body).length;
  if (String(len).length !== String(body).length) len = body + String(len).length;
  return Buffer.from(`${len} ${kv}\n`);
}

const GOOD = member({ name: 'ok' }, 'fine\n');
const END = Buffer.alloc(1024);

export function hostileTar(...parts: Buffer[]): Buffer {
  return Buffer.concat([GOOD, ...parts, END]);
}

export interface HeaderCase {
  name: string;
  tar: () => Buffer;
  error: RegExp;
}

const big = (n: number) => 'a'.repeat(n);

/** A PAX record for an ordinary entry `x`. */
function paxCase(name: string, record: string, error: RegExp): HeaderCase {
  return { name, tar: () => hostileTar(paxMember([record]), member({ name: 'x' }, 'x')), error };
}

/** Every case must be refused by every reader, with an error matching `error`. */
export const HOSTILE_HEADERS: HeaderCase[] = [
  {
    name: 'bad checksum',
    tar: () => hostileTar(member({ name: 'x', badChecksum: true }, 'x')),
    error: /checksum/,
  },
  {
    // The indexer once computed the next header's offset as data + size: -1536 points back
    // at this entry's own PAX header, so it read the same two headers forever at 100% CPU.
    name: 'negative PAX size that points back at its own header (issue 13)',
    tar: () => hostileTar(paxMember(['size=-1536']), member({ name: 'x' }, 'x'.repeat(1500))),
    error: /bad pax size/,
  },
  paxCase('PAX size -1', 'size=-1', /bad pax size/),
  paxCase('PAX size in exponent notation', 'size=1e3', /bad pax size/),
  paxCase('PAX size in hex', 'size=0x10', /bad pax size/),
  paxCase('PAX size beyond 2^53', 'size=99999999999999999999', /bad pax size/),
  paxCase('negative PAX uid', 'uid=-5', /bad pax uid/),
  paxCase('PAX mtime that overflows', `mtime=${'9'.repeat(400)}`, /bad pax mtime/),
  paxCase('PAX path holding a NUL', 'path=a\0/../../etc/passwd', /NUL/),
  {
    name: 'GNU long name holding a NUL',
    tar: () => hostileTar(member({ name: '././@LongLink', type: 'L' }, 'a\0b\0'), member({ name: 'x' }, 'x')),
    error: /NUL/,
  },
  {
    name: 'PAX record whose length runs past its header',
    tar: () => hostileTar(member({ name: 'PaxHeaders/f', type: 'x' }, '900 path=x\n'), member({ name: 'x' })),
    error: /bad record length/,
  },
  {
    name: 'PAX record without a length',
    tar: () => hostileTar(member({ name: 'PaxHeaders/f', type: 'x' }, 'path=x\n'), member({ name: 'x' })),
    error: /record without length|bad record length/,
  },
  {
    name: 'PAX header that declares 2 MiB',
    tar: () => hostileTar(headerBlock({ name: 'PaxHeaders/f', type: 'x', size: 2 << 20 })),
    error: /extended headers for one entry is too many/,
  },
  {
    name: 'three PAX headers adding up to more than 1 MiB',
    tar: () => {
      const one = paxMember([`comment=${big(400_000)}`]);
      return hostileTar(one, one, one, member({ name: 'x' }, 'x'));
    },
    error: /extended headers for one entry is too many/,
  },
  paxCase('name longer than 4096 bytes', `path=${big(5000)}`, /longer than 4096 bytes/),
  {
    name: 'entry larger than anything left (2^50 bytes, base-256)',
    tar: () => hostileTar(headerBlock({ name: 'x', size256: 1n << 50n })),
    error: /declares 1125899906842624 bytes, more than/,
  },
  {
    name: 'negative base-256 size',
    tar: () => hostileTar(headerBlock({ name: 'x', size256: -1n })),
    error: /negative base-256/,
  },
  {
    name: 'GNU sparse entry',
    tar: () => hostileTar(member({ name: 'x', type: 'S' }, 'x')),
    error: /GNU sparse/,
  },
  {
    name: 'mode field that is not octal',
    tar: () => hostileTar(member({ name: 'x', mode: '00009x4\0' }, 'x')),
    error: /bad octal field/,
  },
];
