/**
 * Whether a RUN step for a foreign architecture can run here: through QEMU user emulation
 * registered with binfmt_misc, as BuildKit relies on (tonistiigi/binfmt installs the same
 * handlers). The kernel starts a foreign ELF binary through its registered interpreter; with
 * the F (fix-binary) flag the interpreter was opened at registration, so it works inside a
 * container whose root filesystem has no QEMU. Without F the kernel looks the interpreter up
 * in the container, where it is missing, and every exec fails with ENOENT: refused up front.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeMissingError } from '../oci/errors.js';
import { hostPlatform, parsePlatform } from '../oci/platform.js';

export const BINFMT_DIR = '/proc/sys/fs/binfmt_misc';

/** ELF identity of an architecture: class (1 = 32-bit, 2 = 64-bit), byte order (1 = LE), e_machine. */
const ELF: Record<string, { cls: number; data: number; machine: number; qemu: string }> = {
  arm64: { cls: 2, data: 1, machine: 0xb7, qemu: 'aarch64' },
  arm: { cls: 1, data: 1, machine: 0x28, qemu: 'arm' },
  ppc64le: { cls: 2, data: 1, machine: 0x15, qemu: 'ppc64le' },
  s390x: { cls: 2, data: 2, machine: 0x16, qemu: 's390x' },
  riscv64: { cls: 2, data: 1, machine: 0xf3, qemu: 'riscv64' },
  mips64le: { cls: 2, data: 1, machine: 0x08, qemu: 'mips64el' },
  amd64: { cls: 2, data: 1, machine: 0x3e, qemu: 'x86_64' },
  '386': { cls: 1, data: 1, machine: 0x03, qemu: 'i386' },
};

/** One handler as /proc/sys/fs/binfmt_misc/NAME describes it. */
export interface BinfmtHandler {
  name: string;
  enabled: boolean;
  interpreter: string;
  flags: string;
  /** The ELF header bytes the handler matches (after its mask), when it matches by magic. */
  magic?: Buffer;
}

export function parseBinfmtHandler(name: string, text: string): BinfmtHandler {
  const line = (k: string) =>
    text
      .split('\n')
      .find((l) => l.startsWith(k))
      ?.slice(k.length)
      .trim();
  const magic = line('magic ');
  return {
    name,
    enabled: text.split('\n')[0]?.trim() === 'enabled',
    interpreter: line('interpreter ') ?? '',
    flags: line('flags:') ?? '',
    ...(magic !== undefined && /^[0-9a-f]+$/.test(magic) ? { magic: Buffer.from(magic, 'hex') } : {}),
  };
}

/** Whether `h` starts ELF binaries of `arch` (class, byte order and e_machine in its magic). */
export function handlesArch(h: BinfmtHandler, arch: string): boolean {
  const e = ELF[arch];
  const m = h.magic;
  if (!e || !m || m.length < 20 || m.readUInt32BE(0) !== 0x7f454c46) return false;
  const machine = m[5] === 1 ? m.readUInt16LE(18) : m.readUInt16BE(18);
  return m[4] === e.cls && m[5] === e.data && machine === e.machine;
}

/**
 * Resolves when RUN steps for `platform` can run on this host (natively, or through an
 * enabled fix-binary QEMU handler); RuntimeMissingError saying what to do otherwise.
 */
export async function checkEmulation(platform: string, dir = BINFMT_DIR): Promise<'native' | BinfmtHandler> {
  const want = parsePlatform(platform);
  const host = parsePlatform(hostPlatform());
  if (want.architecture === host.architecture) return 'native';
  // An x86-64 kernel runs 32-bit x86 binaries itself.
  if (want.architecture === '386' && host.architecture === 'amd64') return 'native';
  const how = 'scripts/setup.sh --qemu registers it (qemu-user-static and binfmt-support)';
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    names = [];
  }
  if (!names.includes('status')) {
    throw new RuntimeMissingError(
      `run for ${platform} on a ${formatHost(host)} host: needs QEMU user emulation, and binfmt_misc is not mounted at ${dir} ` +
        `(mount -t binfmt_misc binfmt_misc ${dir}); ${how}`,
    );
  }
  const handlers: BinfmtHandler[] = [];
  for (const n of names) {
    if (n === 'status' || n === 'register') continue;
    const text = await readFile(join(dir, n), 'utf8').catch(() => undefined);
    if (text !== undefined) handlers.push(parseBinfmtHandler(n, text));
  }
  const mine = handlers.filter((h) => handlesArch(h, want.architecture));
  const ok = mine.find((h) => h.enabled && h.flags.includes('F'));
  if (ok) return ok;
  const qemu = ELF[want.architecture]?.qemu ?? want.architecture;
  if (mine.some((h) => h.enabled)) {
    const h = mine.find((x) => x.enabled)!;
    throw new RuntimeMissingError(
      `run for ${platform}: the binfmt_misc handler ${h.name} (${h.interpreter}) is registered without the F (fix-binary) flag, ` +
        `so inside a container the kernel looks for ${h.interpreter} in the image and fails; re-register it with flag F: ${how}`,
    );
  }
  throw new RuntimeMissingError(
    `run for ${platform} on a ${formatHost(host)} host: no QEMU emulation for ${qemu} is registered in ${dir}` +
      `${mine.length > 0 ? ` (${mine.map((h) => h.name).join(', ')} is disabled)` : ''}; ${how}, ` +
      `or build that platform on a ${platform} machine`,
  );
}

function formatHost(p: { os: string; architecture: string }): string {
  return `${p.os}/${p.architecture}`;
}
