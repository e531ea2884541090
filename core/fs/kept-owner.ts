/**
 * File owners a rootless build cannot store on disk. In a user namespace that maps only the
 * user's own id (no /etc/subuid range; see cmd/rootless-exec.ts), lchown to any other id
 * fails with EINVAL; the same holds in a subordinate range for ids beyond it. Such a file is
 * left owned by 0:0 and its owner is written to the xattr `user.strata.owner` ("uid:gid"),
 * which every reader of layer content takes instead of the on-disk owner (the tar writer,
 * COPY --from, the copy snapshotter, exports). So the layer tars carry the owners a root
 * build gives them.
 *
 * Only a file whose on-disk owner is 0:0 is asked for the xattr, and only in a user
 * namespace: a root build never reads it. Symlinks cannot carry user.* xattrs (the kernel
 * refuses), so a symlink owned by an unmapped id is refused with the way out.
 */
import type { BigIntStats, Stats } from 'node:fs';
import { fchownSync, lchownSync } from 'node:fs';
import { RuntimeMissingError } from '../oci/errors.js';
import { describeRanges, idMapped, idMode } from './id-mode.js';
import { getXattr, setXattr } from './overlay-form.js';

export const OWNER_XATTR = 'user.strata.owner';

export interface Owner {
  uid: number;
  gid: number;
}

/** True when this process can make a file owned by uid:gid (always, as real root). */
export function canOwn(uid: number, gid: number): boolean {
  const m = idMode();
  if (m.kind !== 'userns') return true;
  return idMapped(m.uids, uid) && idMapped(m.gids, gid);
}

/**
 * Makes `p` owned by uid:gid: lchown when the ids are mapped, else 0:0 plus the kept-owner
 * xattr. `fd` (an open descriptor of `p`) is used for the chown when given. Throws
 * RuntimeMissingError for a symlink whose owner cannot be kept.
 */
export function setOwnerSync(
  p: string,
  uid: number,
  gid: number,
  kind: { symlink: boolean; fd?: number },
): void {
  const mode = idMode();
  if (mode.kind === 'user') {
    // STRATA_ROOTLESS=off (or a command strata did not move into a namespace): only what
    // needs no other owner works; say so instead of failing with EPERM from lchown.
    throw new RuntimeMissingError(
      `set owner ${uid}:${gid} of ${p}: strata runs as uid ${mode.uid} outside a user namespace (STRATA_ROOTLESS=off?), where files cannot be given to other ids; unset STRATA_ROOTLESS to build rootless, or run as root`,
    );
  }
  if (canOwn(uid, gid)) {
    if (kind.fd !== undefined) fchownSync(kind.fd, uid, gid);
    else lchownSync(p, uid, gid);
    return;
  }
  if (kind.symlink) {
    const m = idMode();
    const mapped = m.kind === 'userns' ? describeRanges(m.uids) : '';
    throw new RuntimeMissingError(
      `keep owner ${uid}:${gid} of symlink ${p}: this rootless build maps only uids ${mapped}, and a ` +
        'symlink cannot carry the owner in an xattr; give the user subordinate ids (usermod --add-subuids ' +
        '100000-165535 --add-subgids 100000-165535 <user>) and build again',
    );
  }
  if (kind.fd !== undefined) fchownSync(kind.fd, 0, 0);
  else lchownSync(p, 0, 0);
  setXattr(p, OWNER_XATTR, `${uid}:${gid}`);
}

/** The owner of `p` as a layer records it: the kept-owner xattr when there is one, else `st`'s. */
export function keptOwner(p: string, st: Stats | BigIntStats): Owner {
  const uid = Number(st.uid);
  const gid = Number(st.gid);
  if (uid !== 0 || gid !== 0 || st.isSymbolicLink() || idMode().kind !== 'userns') return { uid, gid };
  const v = getXattr(p, OWNER_XATTR);
  const m = v === null ? null : /^(\d{1,10}):(\d{1,10})$/.exec(v.toString());
  return m ? { uid: Number(m[1]), gid: Number(m[2]) } : { uid, gid };
}
