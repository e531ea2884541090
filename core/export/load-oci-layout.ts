/**
 * Loads images from an OCI image layout, inside an archive or a directory (index.json,
 * blobs/). Nested indexes are followed. `strata load` takes every platform of an index
 * entry (its name then holds one image per platform); a FROM or --build-context picks the
 * one for its platform (linux/amd64 by default, else the only image manifest). Attestation
 * manifests are never images.
 */
import type { Store } from '../../store/index.js';
import type { Expected } from '../fs/read-bounded.js';
import { addPlatformImage } from '../image/platform-image.js';
import { parseImageConfig } from '../image/read-image.js';
import { normalizeRef } from '../image/reference.js';
import { type Digest, isDigest } from '../oci/digest.js';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';
import { isIndexMediaType, isManifestMediaType, MediaType } from '../oci/media-types.js';
import { parsePlatform, selectPlatform } from '../oci/platform.js';
import type { Descriptor, Index, Manifest } from '../oci/types.js';
import { importLayers } from './import-layers.js';
import type { LayoutReader } from './layout-dir.js';
import {
  blobPath,
  IMAGE_NAME_ANNOTATION,
  MAX_JSON_BYTES,
  parseJsonMember,
  REF_NAME_ANNOTATION,
} from './layout-entries.js';
import type { LoadedImage } from './load-archive.js';
import type { LoadBudget } from './load-budget.js';

const MAX_DEPTH = 8;

export async function loadOciLayout(
  store: Store,
  archive: LayoutReader,
  budget?: LoadBudget,
): Promise<LoadedImage[]> {
  const index = await archive.readJson<Index>('index.json');
  if (!Array.isArray(index?.manifests))
    throw new InvalidInputError('load archive: index.json has no manifests');
  const byManifest = new Map<Digest, { desc: Descriptor; tags: string[] }>();
  // A name whose entry is a multi-platform index: every platform's image, kept together.
  const platformsOf = new Map<string, Digest[]>();
  for (const top of index.manifests) {
    const descs = await imageManifests(archive, top, 0);
    const name = refName(top);
    for (const desc of descs) {
      const entry = byManifest.get(desc.digest) ?? { desc, tags: [] };
      if (name !== undefined && descs.length === 1 && !entry.tags.includes(name)) entry.tags.push(name);
      byManifest.set(desc.digest, entry);
    }
    if (name !== undefined && descs.length > 1)
      platformsOf.set(
        name,
        descs.map((d) => d.digest),
      );
  }
  const out: LoadedImage[] = [];
  const configOf = new Map<Digest, Digest>();
  for (const { desc, tags } of byManifest.values()) {
    const config = await importManifest(store, archive, desc, budget);
    configOf.set(desc.digest, config);
    for (const t of tags) await store.setRef(t, { config });
    out.push({ config, tags });
  }
  for (const [name, manifests] of platformsOf) {
    const configs = manifests.map((m) => configOf.get(m)!);
    await store.setRef(name, { config: configs[0] });
    for (const c of configs.slice(1)) await addPlatformImage(store, name, c);
    // Reported beside the image the name shows by default (the host's platform, if there).
    const shown = (await store.getRef(name))?.config;
    const entry = out.find((o) => o.config === shown);
    if (entry && !entry.tags.includes(name)) entry.tags.push(name);
  }
  return out;
}

/**
 * Loads the one image an OCI layout entry names (`oci-layout://DIR:TAG` or `@DIGEST`, as
 * BuildKit's --build-context has it) into the store without tagging it; returns its image
 * ID. Without a tag or digest the layout must hold one image, or one tagged `latest`.
 */
export async function loadLayoutImage(
  store: Store,
  layout: LayoutReader,
  select: { tag?: string; digest?: Digest },
  what: string,
  platform?: string,
): Promise<Digest> {
  const index = await layout.readJson<Index>('index.json');
  if (!Array.isArray(index?.manifests)) throw new InvalidInputError(`${what}: index.json has no manifests`);
  const tagOf = (d: Descriptor) => {
    const a = d.annotations ?? {};
    const full = a[IMAGE_NAME_ANNOTATION];
    return (
      a[REF_NAME_ANNOTATION] ?? (full?.includes(':') ? full.slice(full.lastIndexOf(':') + 1) : undefined)
    );
  };
  let top: Descriptor | undefined;
  if (select.digest !== undefined) {
    top = index.manifests.find((d) => d.digest === select.digest);
    if (top === undefined) {
      // Any manifest or index in blobs/ may be named by digest, not only index.json's entries.
      const doc = await readVerifiedJson<{ mediaType?: string; manifests?: unknown }>(layout, {
        digest: select.digest,
      }).catch(() => undefined);
      if (doc === undefined) throw new NotFoundError(`${what}: no blob ${select.digest} in the layout`);
      // No descriptor declares its size: it is read bounded by MAX_JSON_BYTES alone.
      top = {
        digest: select.digest,
        mediaType:
          doc.mediaType ?? (Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest),
      } as Descriptor;
    }
  } else {
    const tagged = index.manifests.filter((d) => tagOf(d) === (select.tag ?? 'latest'));
    if (tagged.length > 0) top = tagged[0];
    else if (select.tag === undefined && index.manifests.length === 1) top = index.manifests[0];
    if (top === undefined) {
      const tags = [...new Set(index.manifests.map(tagOf).filter((t) => t !== undefined))];
      throw new NotFoundError(
        `${what}: no image tagged ${select.tag ?? 'latest'} (tags: ${tags.join(', ') || 'none'}); name one with :TAG or @sha256:...`,
      );
    }
  }
  return importManifest(store, layout, await pickManifest(layout, top, 0, platform));
}

/** Verifies one manifest, imports its layers and config; returns the config digest. */
async function importManifest(
  store: Store,
  archive: LayoutReader,
  desc: Descriptor,
  budget?: LoadBudget,
): Promise<Digest> {
  const manifest = await readVerifiedJson<Manifest>(archive, desc);
  if (!isDigest(manifest?.config?.digest) || !Array.isArray(manifest.layers)) {
    throw new InvalidInputError(`load archive: manifest ${desc.digest} has no config or layers`);
  }
  const configBytes = await readVerified(archive, manifest.config);
  const config = manifest.config.digest;
  const diffIds = parseImageConfig(configBytes, `manifest ${desc.digest}`).rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new InvalidInputError(
      `load archive: config ${config} lists ${diffIds.length} diff_ids but its manifest has ${manifest.layers.length} layers`,
    );
  }
  await importLayers(
    store,
    diffIds,
    manifest.layers.map((l) => {
      if (!isDigest(l?.digest))
        throw new InvalidInputError(`load archive: manifest ${desc.digest} has a bad layer`);
      return {
        // Bounded by the size the manifest declares, verified as it streams.
        open: () => archive.openBlob(expectedOf(l), Number.MAX_SAFE_INTEGER),
        blobDigest: l.digest,
        what: blobPath(l.digest),
      };
    }),
    budget,
  );
  await store.putBlob(configBytes, config);
  return config;
}

/** The image name of an index.json entry: containerd's full name, else a ref.name that is one. */
function refName(d: Descriptor): string | undefined {
  const a = d.annotations ?? {};
  const full = a[IMAGE_NAME_ANNOTATION];
  if (full !== undefined) return normalizeRef(full);
  const ref = a[REF_NAME_ANNOTATION];
  // A bare tag (`latest`, what umoci and Docker write) names no repository: no tag for it.
  if (ref === undefined || !/[:/@]/.test(ref)) return undefined;
  try {
    return normalizeRef(ref);
  } catch {
    return undefined;
  }
}

/**
 * Every image manifest an index.json entry leads to: itself, or each platform's image of
 * the index it names (nested indexes followed; attestations left out).
 */
async function imageManifests(archive: LayoutReader, d: Descriptor, depth: number): Promise<Descriptor[]> {
  if (!isDigest(d?.digest)) throw new InvalidInputError('load archive: index entry without a sha256 digest');
  if (isManifestMediaType(d.mediaType)) return [d];
  if (!isIndexMediaType(d.mediaType) || depth >= MAX_DEPTH) return [await pickManifest(archive, d, depth)];
  const idx = await readVerifiedJson<Index>(archive, d);
  const out: Descriptor[] = [];
  for (const m of (idx.manifests ?? []).filter((x) => !isAttestation(x))) {
    for (const x of await imageManifests(archive, m, depth + 1))
      if (!out.some((o) => o.digest === x.digest)) out.push(x);
  }
  if (out.length === 0) throw new InvalidInputError(`load archive: index ${d.digest} has no image`);
  return out;
}

/**
 * The image manifest an index entry leads to for `platform` (default linux/amd64, else the
 * only image; see the file comment).
 */
export async function pickManifest(
  archive: LayoutReader,
  d: Descriptor,
  depth: number,
  platform?: string,
): Promise<Descriptor> {
  if (!isDigest(d?.digest)) throw new InvalidInputError('load archive: index entry without a sha256 digest');
  if (isManifestMediaType(d.mediaType)) return d;
  if (!isIndexMediaType(d.mediaType)) {
    throw new InvalidInputError(
      `load archive: index entry ${d.digest} has unsupported media type ${d.mediaType}`,
    );
  }
  if (depth >= MAX_DEPTH) throw new InvalidInputError('load archive: indexes nested too deeply');
  const idx = await readVerifiedJson<Index>(archive, d);
  const images = (idx.manifests ?? []).filter((m) => !isAttestation(m));
  const want = platform ?? 'linux/amd64';
  const chosen = selectPlatform(images, parsePlatform(want));
  // Without an asked platform an index of one image gives that image (as before platforms).
  const pick = chosen ?? (platform === undefined && images.length === 1 ? images[0] : undefined);
  if (pick === undefined) {
    const plats = images.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(', ');
    throw new NotFoundError(`load archive: index ${d.digest} has no ${want} image (has ${plats || 'none'})`);
  }
  return pickManifest(archive, pick, depth + 1, platform);
}

function isAttestation(d: Descriptor): boolean {
  return (
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown')
  );
}

/** A blob to read: its digest, and its size when a descriptor gave one. */
export type BlobRef = Pick<Descriptor, 'digest'> & { size?: number };

/**
 * What a descriptor promises, checked: a sha256 digest and, when present, a size that is a
 * non-negative integer (OCI descriptor.md: size MUST NOT be negative).
 */
function expectedOf(d: BlobRef): Expected {
  if (!isDigest(d?.digest)) throw new InvalidInputError('load archive: a descriptor without a sha256 digest');
  if (d.size === undefined) return { digest: d.digest };
  if (!Number.isSafeInteger(d.size) || d.size < 0)
    throw new InvalidInputError(
      `load archive: descriptor of ${d.digest} has a bad size ${JSON.stringify(d.size)}`,
    );
  return { digest: d.digest, size: d.size };
}

/** A manifest, index or config: bounded by its declared size and MAX_JSON_BYTES, verified. */
export async function readVerified(archive: LayoutReader, d: BlobRef): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of archive.openBlob(expectedOf(d), MAX_JSON_BYTES)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export async function readVerifiedJson<T>(archive: LayoutReader, d: BlobRef): Promise<T> {
  return parseJsonMember<T>(await readVerified(archive, d), `blob ${d.digest}`);
}
