/**
 * Per-user runtime paths for a build that does not run as real root (see core/fs/id-mode.ts
 * for how strata tells).
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostUid, idMode } from '../fs/id-mode.js';

/**
 * Where runc keeps container state. Real root: /run/strata/runc (tmpfs, gone on reboot).
 * Otherwise a directory only this user owns: $XDG_RUNTIME_DIR/strata/runc (the per-user
 * tmpfs), else <tmpdir>/strata-<uid>/runc, refused when someone else made it first.
 */
export function defaultRuncRoot(env: NodeJS.ProcessEnv = process.env): string {
  const mode = idMode();
  if (mode.kind === 'root') return '/run/strata/runc';
  const xdg = env.XDG_RUNTIME_DIR;
  const base =
    xdg && path.isAbsolute(xdg) && ownedByUs(xdg)
      ? path.join(xdg, 'strata')
      : path.join(tmpdir(), `strata-${hostUid(mode)}`);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  if (!ownedByUs(base)) {
    throw new Error(
      `runc state directory ${base} belongs to another user: set XDG_RUNTIME_DIR to a directory of yours`,
    );
  }
  return path.join(base, 'runc');
}

function ownedByUs(p: string): boolean {
  try {
    const st = lstatSync(p);
    const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
    return st.isDirectory() && st.uid === uid;
  } catch {
    return false;
  }
}
