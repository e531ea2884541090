import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../core/oci/errors.js';
import { resolveUser } from '../../../core/runtime/resolve-user.js';

let root: string;
let linked: string;

beforeAll(async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'strata-user-'));
  root = path.join(base, 'img');
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await writeFile(
    path.join(root, 'etc/passwd'),
    '# comment\nroot:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\nbroken:x:notanumber:1\n',
  );
  await writeFile(
    path.join(root, 'etc/group'),
    'root:x:0:\napp:x:1001:\nstaff:x:50:app,other\nwheel:x:10:root, app\n',
  );
  // An image whose /etc/passwd points at the host's: it must read its own root's file.
  linked = path.join(base, 'linked');
  await mkdir(path.join(linked, 'etc'), { recursive: true });
  await mkdir(path.join(linked, 'image-etc'), { recursive: true });
  await writeFile(path.join(linked, 'image-etc/passwd'), 'builder:x:7:7::/:/bin/sh\n');
  await symlink('/image-etc/passwd', path.join(linked, 'etc/passwd'));
  await symlink('../../../../../../../../etc/hostname', path.join(linked, 'etc/group'));
});

afterAll(async () => {
  await rm(path.dirname(root), { recursive: true, force: true });
});

describe('resolveUser', () => {
  it("defaults to root, with root's groups", () => {
    expect(resolveUser(root, undefined)).toEqual({ uid: 0, gid: 0, additionalGids: [0, 10] });
    expect(resolveUser(root, '')).toEqual({ uid: 0, gid: 0, additionalGids: [0, 10] });
  });

  it('resolves a name with its primary group first among its supplementary groups', () => {
    expect(resolveUser(root, 'app')).toEqual({ uid: 1000, gid: 1001, additionalGids: [1001, 50, 10] });
    expect(resolveUser(root, 'root')).toEqual({ uid: 0, gid: 0, additionalGids: [0, 10] });
  });

  it('takes a numeric uid with or without a passwd entry', () => {
    expect(resolveUser(root, '1000')).toEqual({ uid: 1000, gid: 1001, additionalGids: [1001, 50, 10] });
    expect(resolveUser(root, '4242')).toEqual({ uid: 4242, gid: 0, additionalGids: [0] });
  });

  it('uses an explicit group and then adds no other supplementary groups', () => {
    expect(resolveUser(root, 'app:staff')).toEqual({ uid: 1000, gid: 50, additionalGids: [50] });
    expect(resolveUser(root, '4242:77')).toEqual({ uid: 4242, gid: 77, additionalGids: [77] });
    expect(resolveUser(root, 'app:0')).toEqual({ uid: 1000, gid: 0, additionalGids: [0] });
  });

  it('fails on unknown names', () => {
    expect(() => resolveUser(root, 'nobody')).toThrow(InvalidInputError);
    expect(() => resolveUser(root, 'app:nogroup')).toThrow(/no group nogroup/);
  });

  it("reads a symlinked /etc/passwd inside the root, never the host's", () => {
    expect(resolveUser(linked, 'builder')).toEqual({ uid: 7, gid: 7, additionalGids: [7] });
    // The host has root in /etc/passwd; this image does not.
    expect(() => resolveUser(linked, 'root')).toThrow(InvalidInputError);
    // /etc/group climbs out to the host's /etc/hostname: inside the root that is missing, so no groups at all.
    expect(() => resolveUser(linked, 'builder:root')).toThrow(/no group root/);
  });
});
