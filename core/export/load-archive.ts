/**
 * loadArchive: images from a `docker save` tar (Engine 20.10 legacy layout with
 * `<id>/layer.tar`, or 25+ OCI layout + manifest.json) or an OCI archive (index.json only)
 * into the store. Nothing from the archive is trusted: configs and manifests are checked
 * against their digests, every layer goes through applyLayer and must give the config's
 * diffID.
 */
import { stat } from 'node:fs/promises';
import type { Store } from '../../store/index.js';
import { parseImageConfig } from '../image/read-image.js';
import { normalizeRef } from '../image/reference.js';
import { type Digest, isDigest, sha256 } from '../oci/digest.js';
import { DigestMismatchError, InvalidInputError, NotFoundError } from '../oci/errors.js';
import type { DockerArchiveManifestEntry } from '../oci/types.js';
import { ArchiveFile } from './archive-file.js';
import { importLayers } from './import-layers.js';
import { LoadBudget } from './load-budget.js';
import { loadOciLayout } from './load-oci-layout.js';

export interface LoadArchiveOptions {
  /** The most bytes the load may write (see LoadBudget for the default). */
  maxUncompressed?: number;
}

export interface LoadedImage {
  config: Digest;
  /** Normalised names now pointing at the image (`docker.io/library/busybox:latest`). */
  tags: string[];
}

/**
 * Loads every image of the archive at `file` (plain or gzip tar) and tags it. With a
 * manifest.json (any docker save) that is what is read; otherwise index.json (an OCI
 * archive, where a multi-platform index yields linux/amd64 or its only image). Errors:
 * InvalidInputError (not an archive, malformed), NotFoundError (a member is missing),
 * DigestMismatchError (content does not match its digest; nothing of that image committed).
 */
export async function loadArchive(
  store: Store,
  file: string,
  opts: LoadArchiveOptions = {},
): Promise<LoadedImage[]> {
  const budget = LoadBudget.forArchive(await archiveSize(file), opts.maxUncompressed);
  const archive = await ArchiveFile.open(file, { budget, scratch: () => store.createScratchFile() });
  try {
    if (archive.has('manifest.json')) return await loadDockerArchive(store, archive, budget);
    if (archive.has('index.json')) return await loadOciLayout(store, archive, budget);
    throw new InvalidInputError(
      `load archive ${file}: no manifest.json or index.json (pre-1.10 docker archives are not supported)`,
    );
  } finally {
    await archive.close();
  }
}

async function loadDockerArchive(
  store: Store,
  archive: ArchiveFile,
  budget: LoadBudget,
): Promise<LoadedImage[]> {
  const entries = await archive.readJson<DockerArchiveManifestEntry[]>('manifest.json');
  if (!Array.isArray(entries)) throw new InvalidInputError('load archive: manifest.json is not a list');
  const out: LoadedImage[] = [];
  for (const [n, e] of entries.entries()) {
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) {
      throw new InvalidInputError(`load archive: manifest.json entry ${n} has no Config or Layers`);
    }
    // Tags are checked before any work, so a bad one does not leave an untagged image behind.
    const tags = (e.RepoTags ?? []).map((t) => normalizeRef(t));
    const configBytes = await archive.readMember(e.Config);
    const config = sha256(configBytes);
    const named = digestFromPath(e.Config);
    if (named !== undefined && named !== config) {
      throw new DigestMismatchError(`load archive: ${e.Config} hashes to ${config}`);
    }
    const parsed = parseImageConfig(configBytes, e.Config);
    const diffIds = parsed.rootfs.diff_ids;
    if (diffIds.length !== e.Layers.length) {
      throw new InvalidInputError(
        `load archive: ${e.Config} lists ${diffIds.length} diff_ids but manifest.json has ${e.Layers.length} layers`,
      );
    }
    await importLayers(
      store,
      diffIds,
      e.Layers.map((path) => ({ open: () => archive.openMember(path), what: path })),
      budget,
    );
    await store.putBlob(configBytes, config);
    for (const t of tags) await store.setRef(t, { config });
    out.push({ config, tags });
  }
  return out;
}

/** The archive's size, NotFoundError when there is none. */
async function archiveSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`read archive ${file}: no such file`, { cause: err });
    throw err;
  }
}

/** `blobs/sha256/<hex>` or `<hex>.json` names promise a digest; other names promise nothing. */
function digestFromPath(path: string): Digest | undefined {
  const m = /(?:^|\/)(?:blobs\/sha256\/)?([a-f0-9]{64})(?:\.json)?$/.exec(path);
  const d = m ? `sha256:${m[1]}` : undefined;
  return isDigest(d) ? d : undefined;
}
