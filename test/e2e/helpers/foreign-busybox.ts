/**
 * Foreign-architecture prerequisites: QEMU user emulation registered through binfmt_misc
 * (scripts/setup.sh --qemu), and Debian's busybox-static for arm64, downloaded with apt-get
 * (after `dpkg --add-architecture arm64`) and unpacked, never installed.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { importRootfs } from '../../../core/export/import-rootfs.js';
import { checkEmulation } from '../../../core/runtime/emulation.js';
import { Store } from '../../../store/store.js';
import { makeBusyboxRootfs } from './busybox-rootfs.js';
import { MissingPrerequisiteError, requireTool } from './require.js';

/** Fails unless RUN steps for `platform` can run here (QEMU registered with the F flag). */
export async function requireEmulation(platform = 'linux/arm64'): Promise<void> {
  try {
    await checkEmulation(platform);
  } catch (err) {
    throw new MissingPrerequisiteError(`e2e prerequisite missing: ${(err as Error).message}`);
  }
}

let arm64Busybox: Promise<string> | undefined;

/** Path of an unpacked arm64 static busybox (downloaded once per test process). */
export function arm64BusyboxBinary(): Promise<string> {
  arm64Busybox ??= (async () => {
    const aptGet = requireTool('apt-get');
    const dir = await mkdtemp(join(tmpdir(), 'strata-bb-arm64-'));
    try {
      execFileSync(aptGet, ['download', '-qq', 'busybox-static:arm64'], { cwd: dir, stdio: 'pipe' });
    } catch (err) {
      throw new MissingPrerequisiteError(
        `e2e prerequisite missing: apt-get download busybox-static:arm64 failed (run scripts/setup.sh --qemu, which adds the arm64 architecture to dpkg): ${String((err as { stderr?: Buffer }).stderr ?? err)}`,
      );
    }
    const deb = (await readdir(dir)).find((f) => f.endsWith('.deb'))!;
    execFileSync('dpkg-deb', ['-x', join(dir, deb), join(dir, 'x')]);
    return join(dir, 'x/bin/busybox');
  })();
  return arm64Busybox;
}

/**
 * Adds a linux/arm64 busybox image to `name` in the store at `root` (beside its amd64 one,
 * if any): what `samples/base/make-busybox.sh --arch arm64` does. Fixed time, so fresh stores
 * agree on its ID.
 */
export async function importArm64Busybox(root: string, name = 'busybox:latest'): Promise<void> {
  await requireEmulation();
  const bin = await arm64BusyboxBinary();
  const dir = await mkdtemp(join(tmpdir(), 'strata-bb-'));
  try {
    await makeBusyboxRootfs(join(dir, 'rootfs'), bin);
    const tar = join(dir, 'rootfs.tar');
    const out = createWriteStream(tar);
    await writeLayerTar(join(dir, 'rootfs'), out, { sourceDateEpoch: 0 });
    await finished(out);
    const store = await Store.open(root);
    await importRootfs(store, tar, name, { created: '2024-01-01T00:00:00Z', platform: 'linux/arm64' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
