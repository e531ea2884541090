/**
 * A minimal root filesystem made from the host's static busybox: bin/busybox, one symlink per
 * applet (what `busybox --install -s` makes), and /etc/passwd + /etc/group with root, app and
 * nobody. Enough to run `sh -c`, `echo`, `id`, `ls` in a container.
 */
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { requireTool } from './require.js';

export const BUSYBOX = '/usr/bin/busybox';

export const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'app:x:1000:1000:app:/home/app:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  '',
].join('\n');

export const GROUP = ['root:x:0:', 'app:x:1000:', 'nogroup:x:65534:', ''].join('\n');

/**
 * Fills `dir` (created if needed) with the busybox root filesystem; `busybox` is the static
 * binary to use (the host's by default; a foreign one needs QEMU to list its applets).
 */
export async function makeBusyboxRootfs(dir: string, busybox = BUSYBOX): Promise<void> {
  requireTool(busybox);
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home/app', 'tmp']) {
    await mkdir(join(dir, d), { recursive: true });
  }
  await chmod(join(dir, 'tmp'), 0o1777);
  await chmod(join(dir, 'root'), 0o700);
  await copyFile(busybox, join(dir, 'bin/busybox'));
  await chmod(join(dir, 'bin/busybox'), 0o755);
  // `--list-full` prints each applet with its install path (bin/sh, usr/bin/env, ...).
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'bin/busybox');
  for (const rel of applets) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await symlink('/bin/busybox', join(dir, rel)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
  await writeFile(join(dir, 'etc/passwd'), PASSWD, { mode: 0o644 });
  await writeFile(join(dir, 'etc/group'), GROUP, { mode: 0o644 });
}
