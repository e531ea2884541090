/**
 * Views of a stored image shaped like Docker's, so `strata inspect` and `strata history`
 * read the way `docker image inspect` and `docker history` do.
 */

import type { Store } from '../../store/store.js';
import { imagePlatform, selectRefImage } from '../image/platform-image.js';
import { familiarRef, normalizeRef } from '../image/reference.js';
import type { Digest } from '../oci/digest.js';
import { chainIds } from '../oci/digest.js';
import { NotFoundError } from '../oci/errors.js';
import { parsePlatform, platformRuns } from '../oci/platform.js';
import type { ImageConfig } from '../oci/types.js';

export interface StoredImage {
  id: Digest;
  config: ImageConfig;
  /** Familiar names (`busybox:latest`) pointing at this image. */
  tags: string[];
}

/**
 * Finds an image by name, full ID, or a unique ID prefix (as docker does). With `platform`,
 * a multi-platform name gives its image for that platform, and an image of another platform
 * is NotFoundError naming the platforms there are.
 */
export async function findImage(store: Store, name: string, platform?: string): Promise<StoredImage> {
  const refs = await store.listRefs();
  let id: Digest | undefined;
  const hex = name.replace(/^sha256:/, '');
  if (/^[a-f0-9]{4,64}$/.test(hex)) {
    const ids = new Set(refs.map((r) => r.target.config).filter((d) => d.slice(7).startsWith(hex)));
    if (ids.size === 1) id = [...ids][0];
    else if (hex.length === 64 && (await store.hasBlob(`sha256:${hex}`))) id = `sha256:${hex}`;
  }
  if (!id) {
    let norm: string | undefined;
    try {
      norm = normalizeRef(name);
    } catch {
      norm = undefined;
    }
    const target = refs.find((r) => r.name === norm)?.target;
    if (target !== undefined && platform !== undefined) {
      const pick = await selectRefImage(store, target, platform);
      if (pick.id === undefined)
        throw new NotFoundError(
          `find image: ${name} has no ${platform} image (it has ${pick.have.join(', ')})`,
        );
      id = pick.id;
    } else id = target?.config;
  } else if (platform !== undefined) {
    const have = await imagePlatform(store, id);
    if (!platformRuns(parsePlatform(platform), parsePlatform(have)))
      throw new NotFoundError(`find image: ${name} is a ${have} image, not ${platform}`);
  }
  if (!id) throw new NotFoundError(`find image: no such image: ${name}`);
  const config = await store.readJsonBlob<ImageConfig>(id);
  const tags = refs
    .filter((r) => r.target.config === id || Object.values(r.target.platforms ?? {}).includes(id!))
    .map((r) => familiarRef(r.name));
  return { id, config, tags };
}

/** Sum of the layers' sizes as the store holds them (uncompressed). */
export async function imageSize(store: Store, config: ImageConfig): Promise<number> {
  let size = 0;
  for (const c of chainIds(config.rootfs.diff_ids)) size += (await store.getLayer(c))?.size ?? 0;
  return size;
}

export async function dockerInspect(store: Store, img: StoredImage): Promise<Record<string, unknown>> {
  const c = img.config;
  const last = c.history?.[c.history.length - 1];
  return {
    Id: img.id,
    RepoTags: img.tags,
    RepoDigests: [],
    Parent: '',
    Comment: last?.comment ?? '',
    Created: c.created ?? '',
    DockerVersion: '',
    Author: c.author ?? '',
    Config: {
      Hostname: '',
      Domainname: '',
      User: c.config?.User ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts: c.config?.ExposedPorts,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: c.config?.Env ?? null,
      Cmd: c.config?.Cmd ?? null,
      Healthcheck: c.config?.Healthcheck,
      ArgsEscaped: c.config?.ArgsEscaped,
      Image: '',
      Volumes: c.config?.Volumes ?? null,
      WorkingDir: c.config?.WorkingDir ?? '',
      Entrypoint: c.config?.Entrypoint ?? null,
      OnBuild: c.config?.OnBuild ?? null,
      Labels: c.config?.Labels ?? null,
      StopSignal: c.config?.StopSignal,
      Shell: c.config?.Shell,
    },
    Architecture: c.architecture,
    Variant: c.variant,
    Os: c.os,
    Size: await imageSize(store, c),
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

export interface HistoryRow {
  id: string;
  created: string;
  createdBy: string;
  size: number;
  comment: string;
  emptyLayer: boolean;
  diffId?: Digest;
}

/** History newest first, each non-empty entry matched with its layer, as docker history does. */
export async function historyRows(store: Store, img: StoredImage): Promise<HistoryRow[]> {
  const c = img.config;
  const chain = chainIds(c.rootfs.diff_ids);
  const rows: HistoryRow[] = [];
  let li = 0;
  for (const h of c.history ?? []) {
    const empty = h.empty_layer === true;
    let size = 0;
    let diffId: Digest | undefined;
    if (!empty && li < chain.length) {
      size = (await store.getLayer(chain[li]))?.size ?? 0;
      diffId = c.rootfs.diff_ids[li];
      li++;
    }
    rows.push({
      id: '<missing>',
      created: h.created ?? '',
      createdBy: h.created_by ?? '',
      size,
      comment: h.comment ?? '',
      emptyLayer: empty,
      diffId,
    });
  }
  rows.reverse();
  if (rows.length > 0) rows[0].id = img.id.slice(7, 19);
  return rows;
}

/** Sizes as docker prints them; one formatter for every view (core/progress/human-size.ts). */
export { humanSize } from '../progress/human-size.js';

export function timeAgo(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'N/A';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.round(s / 60)} minutes ago`;
  if (s < 86400) return `${Math.round(s / 3600)} hours ago`;
  if (s < 86400 * 365) return `${Math.round(s / 86400)} days ago`;
  return `${Math.round(s / (86400 * 365))} years ago`;
}
