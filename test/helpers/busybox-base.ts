/**
 * A `busybox:latest` base image in a given store, made offline from Debian's static busybox
 * (the same rootfs the e2e helpers use). The import time is fixed so two fresh stores get
 * the same base image ID, which determinism tests rely on.
 */
import { createWriteStream } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { writeLayerTar } from '../../core/diff/write-layer-tar.js';
import { importRootfs } from '../../core/export/import-rootfs.js';
import { Store } from '../../store/store.js';
import { makeBusyboxRootfs } from '../e2e/helpers/busybox-rootfs.js';

export async function importBusybox(root: string, name = 'busybox:latest'): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-bb-'));
  try {
    await makeBusyboxRootfs(join(dir, 'rootfs'));
    const tar = join(dir, 'rootfs.tar');
    const out = createWriteStream(tar);
    await writeLayerTar(join(dir, 'rootfs'), out, { sourceDateEpoch: 0 });
    await finished(out);
    const store = await Store.open(root);
    await importRootfs(store, tar, name, { created: '2024-01-01T00:00:00Z' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Writes `busybox:latest` (as importBusybox makes it) as a docker archive at `tar`, readable
 * by every user: the one base that stores of other users, or containers, load.
 */
export async function busyboxArchive(tar: string): Promise<void> {
  const store = await mkdtemp(join(tmpdir(), 'strata-bb-store-'));
  try {
    await importBusybox(store);
    const { strataOk } = await import('./cli.js');
    await strataOk(['save', '--root', store, 'busybox:latest', '-o', tar]);
    await chmod(tar, 0o644);
  } finally {
    await rm(store, { recursive: true, force: true });
  }
}
