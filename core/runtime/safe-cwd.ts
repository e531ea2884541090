import path from 'node:path';
import { resolveInRootRelative } from '../fs/host-tree.js';
import { SecurityError } from '../oci/errors.js';

/**
 * True when the cleaned absolute path lies under a process fd directory of /proc:
 * `/proc/self/fd`, `/proc/thread-self/fd`, `/proc/<pid>/fd`, `/proc/<pid>/task/<tid>/fd`
 * (and the fd dirs' siblings `fdinfo` are harmless, so they pass). A cwd there is how
 * CVE-2024-21626 (runc leaked a host directory fd into the container) was reached.
 */
export function isProcFdPath(p: string): boolean {
  return fdPrefix(path.posix.normalize(`/${p}`).split('/').filter(Boolean));
}

/**
 * The same test on the path as the kernel would walk it, '..' not yet collapsed: in
 * `/proc/self/fd/8/../..` the kernel follows the fd's magic link before climbing.
 */
function isProcFdRaw(p: string): boolean {
  return fdPrefix(p.split('/').filter((c) => c !== '' && c !== '.'));
}

function fdPrefix(parts: string[]): boolean {
  if (parts[0] !== 'proc' || parts.length < 3) return false;
  const pid = parts[1] as string;
  if (pid !== 'self' && pid !== 'thread-self' && !/^\d+$/.test(pid)) return false;
  if (parts[2] === 'fd') return true;
  // /proc/<pid>/task/<tid>/fd and /proc/self/task/<tid>/fd
  return parts[2] === 'task' && parts.length >= 5 && /^\d+$/.test(parts[3] as string) && parts[4] === 'fd';
}

/**
 * Refuses a working directory that would reach the host through a leaked fd
 * (CVE-2024-21626, "WORKDIR /proc/self/fd/7"). Checks the path as written (after cleaning)
 * and, when `rootfs` is given, the path it resolves to inside the root filesystem, so a
 * symlink in the image (`/work -> /proc/self/fd/7`) is caught too.
 *
 * @returns the cleaned absolute cwd
 * @throws SecurityError on such a path; InvalidInput-like SecurityError on a relative one
 */
export function assertSafeCwd(cwd: string, rootfs?: string): string {
  if (!cwd.startsWith('/')) {
    throw new SecurityError(`check working directory: ${JSON.stringify(cwd)} is not absolute`);
  }
  const cleaned = path.posix.normalize(cwd);
  if (isProcFdPath(cleaned) || isProcFdRaw(cwd)) {
    throw new SecurityError(
      `check working directory: ${JSON.stringify(cwd)} lies under a /proc fd directory, which can reach the host (CVE-2024-21626)`,
    );
  }
  if (rootfs !== undefined) {
    const resolved = resolveInRootRelative(rootfs, cleaned);
    if (isProcFdPath(resolved)) {
      throw new SecurityError(
        `check working directory: ${JSON.stringify(cwd)} resolves through a symlink to ${resolved}, under a /proc fd directory (CVE-2024-21626)`,
      );
    }
  }
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
}
