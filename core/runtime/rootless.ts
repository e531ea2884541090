/**
 * Per-user runtime paths for a build that does not run as real root (see core/fs/id-mode.ts
 * for how strata tells).
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeRanges, hostUid, type IdMode, idMapped, idMode } from '../fs/id-mode.js';
import { RuntimeMissingError } from '../oci/errors.js';
import type { User } from './spec.js';

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

/** The advice for a user whose namespace maps one id: how to give it a range. */
export function subordinateIdsAdvice(): string {
  const who = process.env.USER || process.env.LOGNAME || '<user>';
  return (
    `give the user subordinate ids (as root: usermod --add-subuids 100000-165535 ` +
    `--add-subgids 100000-165535 ${who}; needs the uidmap package), then build again`
  );
}

/**
 * The user a step runs as, checked against what this user namespace maps: a uid or primary
 * gid outside it cannot be set (runc would fail with "invalid argument"), so the step is
 * refused naming why. Supplementary groups that are not mapped are dropped: with one id
 * mapped the kernel forbids setgroups, and a build step rarely needs them (Alpine's root
 * lists ten).
 */
export function userForNamespace(user: User, mode: IdMode, source: string): User {
  if (mode.kind !== 'userns') return user;
  if (!idMapped(mode.uids, user.uid) || !idMapped(mode.gids, user.gid)) {
    throw new RuntimeMissingError(
      `run step ${source}: runs as uid ${user.uid} gid ${user.gid}, but this rootless build maps only ` +
        `uids ${describeRanges(mode.uids)} and gids ${describeRanges(mode.gids)}: ${subordinateIdsAdvice()}`,
    );
  }
  const single = mode.gids.length === 1 && mode.gids[0].count === 1;
  const extra = single ? [] : (user.additionalGids ?? []).filter((g) => idMapped(mode.gids, g));
  return extra.length > 0 ? { ...user, additionalGids: extra } : { uid: user.uid, gid: user.gid };
}
