import { resolveInRoot } from '../fs/host-tree.js';
import { MAX_ACCOUNT_FILE, readFileBoundedSync } from '../fs/read-bounded.js';
import { InvalidInputError } from '../oci/errors.js';
import type { User } from './spec.js';

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/**
 * Resolves a USER value ('name', 'uid', 'name:group', 'uid:gid', any mix) against the
 * root filesystem's /etc/passwd and /etc/group, the way Docker and BuildKit do:
 * - a name must exist in /etc/passwd, a group name in /etc/group;
 * - a numeric uid without a passwd entry gets gid 0;
 * - supplementary groups are the primary group plus the /etc/group entries that list the
 *   user, or only the given group when one is named (containerd's WithAdditionalGIDs after
 *   CVE-2023-25173, which BuildKit's testUserAdditionalGids asserts: `id` as root shows
 *   `groups=0(root),10(wheel)`, USER 1234 shows `groups=0(root)`).
 * Both files are read through `resolveInRoot`, so an image whose /etc/passwd is a symlink
 * to `/etc/passwd` reads its own file, never the host's. Missing files count as empty.
 * Undefined or empty `user` is root, looked up like `0`.
 *
 * @throws InvalidInputError when a name is not found
 */
export function resolveUser(rootfs: string, user: string | undefined): User {
  if (user === undefined || user === '') return resolveUser(rootfs, '0');
  const colon = user.indexOf(':');
  const userPart = colon < 0 ? user : user.slice(0, colon);
  const groupPart = colon < 0 ? undefined : user.slice(colon + 1);
  const passwd = parsePasswd(readInRoot(rootfs, '/etc/passwd'));
  let groups: GroupEntry[] | undefined;
  const loadGroups = (): GroupEntry[] => {
    groups ??= parseGroup(readInRoot(rootfs, '/etc/group'));
    return groups;
  };

  let uid: number;
  let gid: number;
  let name: string | undefined;
  if (isNumeric(userPart)) {
    uid = Number(userPart);
    const entry = passwd.find((p) => p.uid === uid);
    gid = entry?.gid ?? 0;
    name = entry?.name;
  } else {
    const entry = passwd.find((p) => p.name === userPart);
    if (!entry)
      throw new InvalidInputError(`resolve user ${JSON.stringify(user)}: no user ${userPart} in /etc/passwd`);
    ({ uid, gid, name } = entry);
  }

  if (groupPart !== undefined && groupPart !== '') {
    if (isNumeric(groupPart)) gid = Number(groupPart);
    else {
      const g = loadGroups().find((e) => e.name === groupPart);
      if (!g)
        throw new InvalidInputError(
          `resolve user ${JSON.stringify(user)}: no group ${groupPart} in /etc/group`,
        );
      gid = g.gid;
    }
    return { uid, gid, additionalGids: [gid] };
  }
  const member = name === undefined ? [] : loadGroups().filter((g) => g.members.includes(name as string));
  return { uid, gid, additionalGids: [...new Set([gid, ...member.map((g) => g.gid)])] };
}

function isNumeric(s: string): boolean {
  return /^\d+$/.test(s);
}

function readInRoot(rootfs: string, p: string): string {
  try {
    // Opened no-follow and fstat-checked: a fifo or device there is not read, only a
    // regular file counts.
    return readFileBoundedSync(resolveInRoot(rootfs, p), MAX_ACCOUNT_FILE, p)?.toString('utf8') ?? '';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return '';
    throw err;
  }
}

function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    if (!isNumeric(f[2] as string) || !isNumeric(f[3] as string)) continue;
    out.push({ name: f[0] as string, uid: Number(f[2]), gid: Number(f[3]) });
  }
  return out;
}

function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#') || !isNumeric(f[2] as string)) continue;
    const members = (f[3] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    out.push({ name: f[0] as string, gid: Number(f[2]), members });
  }
  return out;
}
