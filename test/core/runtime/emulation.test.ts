/** QEMU emulation checks against binfmt_misc directories written by the test. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuntimeMissingError } from '../../../core/oci/errors.js';
import { checkEmulation, handlesArch, parseBinfmtHandler } from '../../../core/runtime/emulation.js';

// What Debian's qemu-user-static registers for aarch64 (cat /proc/sys/fs/binfmt_misc/qemu-aarch64).
const AARCH64 = (flags: string, state = 'enabled') =>
  [
    state,
    'interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P',
    `flags: ${flags}`,
    'offset 0',
    'magic 7f454c460201010000000000000000000200b700',
    'mask ffffffffffffff00fffffffffffffffffeffffff',
    '',
  ].join('\n');
const S390X =
  'enabled\ninterpreter /usr/libexec/qemu-binfmt/s390x-binfmt-P\nflags: PF\noffset 0\nmagic 7f454c4602020100000000000000000000020016\n';

async function binfmtDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-binfmt-'));
  await mkdir(dir, { recursive: true });
  for (const [n, text] of Object.entries(files)) await writeFile(join(dir, n), text);
  return dir;
}

describe('binfmt handlers', () => {
  it('reads the architecture from the ELF magic, either byte order', () => {
    const a = parseBinfmtHandler('qemu-aarch64', AARCH64('PF'));
    expect(a).toMatchObject({
      enabled: true,
      flags: 'PF',
      interpreter: '/usr/libexec/qemu-binfmt/aarch64-binfmt-P',
    });
    expect(handlesArch(a, 'arm64')).toBe(true);
    expect(handlesArch(a, 'arm')).toBe(false);
    const s = parseBinfmtHandler('qemu-s390x', S390X);
    expect(handlesArch(s, 's390x')).toBe(true);
    expect(handlesArch(s, 'arm64')).toBe(false);
  });
});

describe('checkEmulation', () => {
  it('needs nothing for the host platform', async () => {
    expect(await checkEmulation('linux/amd64', '/nonexistent')).toBe('native');
  });

  it('says binfmt_misc is not mounted', async () => {
    const dir = await binfmtDir({});
    await expect(checkEmulation('linux/arm64', dir)).rejects.toThrow(/binfmt_misc is not mounted/);
    await expect(checkEmulation('linux/arm64', dir)).rejects.toBeInstanceOf(RuntimeMissingError);
  });

  it('says no handler is registered for the architecture', async () => {
    const dir = await binfmtDir({ status: 'enabled\n', register: '', 'qemu-s390x': S390X });
    await expect(checkEmulation('linux/arm64', dir)).rejects.toThrow(
      /no QEMU emulation for aarch64 is registered.*scripts\/setup\.sh --qemu/,
    );
  });

  it('refuses a handler without the fix-binary flag, and a disabled one', async () => {
    const noF = await binfmtDir({ status: 'enabled\n', 'qemu-aarch64': AARCH64('P') });
    await expect(checkEmulation('linux/arm64', noF)).rejects.toThrow(/without the F \(fix-binary\) flag/);
    const off = await binfmtDir({ status: 'enabled\n', 'qemu-aarch64': AARCH64('PF', 'disabled') });
    await expect(checkEmulation('linux/arm64', off)).rejects.toThrow(/qemu-aarch64 is disabled/);
  });

  it('accepts an enabled fix-binary handler', async () => {
    const dir = await binfmtDir({ status: 'enabled\n', 'qemu-aarch64': AARCH64('PF') });
    expect(await checkEmulation('linux/arm64/v8', dir)).toMatchObject({ name: 'qemu-aarch64' });
  });
});
