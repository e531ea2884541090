/**
 * mergeIndex: what `docker buildx imagetools create -t TARGET SRC...` does, for CI that fans
 * platforms out to separate runners (each pushes `--platform P` to its own tag) and then
 * names them together. It reads only manifests and each image config (for its platform),
 * never a layer: when a source lives in another repository of the same registry, its blobs
 * are mounted across (the registry links what it has) and its manifest bytes PUT verbatim,
 * so every digest stays the same. A registry that will not mount is an error, not a download.
 */

import { parseImageConfig } from '../image/read-image.js';
import { type ParsedRef, parseRef, repositoryName } from '../image/reference.js';
import type { Digest } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import { isManifestMediaType, MediaType } from '../oci/media-types.js';
import { formatCanonical } from '../oci/platform.js';
import type { Descriptor, Manifest } from '../oci/types.js';
import { discardBody, responseError } from './http-body.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { RegistryError } from './registry-error.js';

export interface MergeOptions extends RegistryClientOptions {
  /** Build and return the index without PUTting anything (imagetools create --dry-run). */
  dryRun?: boolean;
  onProgress?: (message: string) => void;
}

export interface MergeResult {
  /** `registry/repo:tag@digest`. */
  ref: string;
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
  manifests: Descriptor[];
}

export async function mergeIndex(
  target: string,
  sources: string[],
  opts: MergeOptions = {},
): Promise<MergeResult> {
  if (sources.length === 0) throw new InvalidInputError('imagetools create: name at least one source image');
  const to = parseRef(target);
  const client = await RegistryClient.create(to.domain, opts);
  const manifests: Descriptor[] = [];
  // Manifests of other repositories that must be made present in the target's.
  const copies: { from: ParsedRef; desc: Descriptor }[] = [];
  for (const source of sources) {
    const from = parseRef(source);
    if (from.domain !== to.domain) {
      throw new InvalidInputError(
        `imagetools create: ${source} is on ${from.domain}, the target on ${to.domain}; strata merges within one registry (it mounts blobs, it does not copy them between registries)`,
      );
    }
    const doc = await client.getManifest(from.path, from.digest ?? from.tag!);
    const entries: Descriptor[] = [];
    if (doc.kind === 'index') entries.push(...doc.index.manifests);
    else {
      // A plain manifest has no platform of its own: its config says it (one small blob).
      const config = parseImageConfig(await client.readBlob(from.path, doc.manifest.config), source);
      const platform = {
        os: config.os,
        architecture: config.architecture,
        ...(config.variant ? { variant: config.variant } : {}),
      };
      entries.push({ mediaType: doc.mediaType, digest: doc.digest, size: doc.bytes.length, platform });
    }
    for (const d of entries) {
      const attestation = d.platform?.os === 'unknown';
      if (!attestation && d.platform !== undefined) {
        const p = formatCanonical(d.platform);
        const clash = manifests.find(
          (m) => m.platform?.os !== 'unknown' && m.platform && formatCanonical(m.platform) === p,
        );
        if (clash && clash.digest !== d.digest)
          throw new InvalidInputError(
            `imagetools create: two sources give ${p} (${clash.digest} and ${d.digest}); merge one image per platform`,
          );
        if (clash) continue;
      }
      manifests.push(d);
      if (from.path !== to.path) copies.push({ from, desc: d });
    }
    opts.onProgress?.(
      `${source}: ${entries.map((d) => (d.platform ? formatCanonical(d.platform) : d.digest)).join(', ')}`,
    );
  }
  const allDocker = manifests.every((d) => d.mediaType === MediaType.dockerManifest);
  const mediaType = allDocker ? MediaType.dockerManifestList : MediaType.ociIndex;
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests }), 'utf8');
  const { sha256 } = await import('../oci/digest.js');
  const digest = sha256(bytes);
  const name = `${repositoryName(to)}${to.tag !== undefined ? `:${to.tag}` : ''}@${digest}`;
  if (opts.dryRun) return { ref: name, digest, mediaType, bytes, manifests };
  for (const { from, desc } of copies) await copyManifest(client, from.path, to.path, desc);
  await client.putManifest(to.path, to.tag ?? digest, mediaType, bytes);
  return { ref: name, digest, mediaType, bytes, manifests };
}

/** Makes `desc` (a manifest in `fromRepo`) present in `toRepo`: blobs mounted, bytes PUT verbatim. */
async function copyManifest(client: RegistryClient, fromRepo: string, toRepo: string, desc: Descriptor) {
  const doc = await client.getManifest(fromRepo, desc.digest, desc.digest);
  if (doc.kind !== 'manifest' || !isManifestMediaType(doc.mediaType)) {
    throw new InvalidInputError(`imagetools create: ${fromRepo}@${desc.digest} is not an image manifest`);
  }
  const m: Manifest = doc.manifest;
  for (const blob of [m.config, ...m.layers]) await mountBlob(client, fromRepo, toRepo, blob.digest);
  await client.putManifest(toRepo, desc.digest, doc.mediaType, doc.bytes);
}

/** Cross-repo mount (HEAD first); a registry that offers an upload instead is refused. */
async function mountBlob(
  client: RegistryClient,
  fromRepo: string,
  toRepo: string,
  digest: Digest,
): Promise<void> {
  if (await client.hasBlob(toRepo, digest, 'pull,push')) return;
  const what = `imagetools create: mount ${digest} from ${fromRepo} into ${toRepo}`;
  const resp = await client.send({
    method: 'POST',
    url: `/v2/${toRepo}/blobs/uploads/?mount=${digest}&from=${encodeURIComponent(fromRepo)}`,
    repo: toRepo,
    actions: 'pull,push',
    extraScopes: [`repository:${fromRepo}:pull`],
    headers: { 'content-length': '0' },
  });
  await discardBody(resp);
  if (resp.status === 201) return;
  if (resp.status === 202) {
    // An upload session was opened instead: close it, strata will not pull the layer to fill it.
    const loc = resp.headers.get('location');
    if (loc !== null) {
      const url = new URL(loc, await client.url('/v2/'));
      await client
        .send({ method: 'DELETE', url: url.toString(), repo: toRepo, actions: 'pull,push' })
        .then(discardBody, () => {});
    }
    throw new RegistryError(
      `${what}: the registry would not mount it, and strata does not pull layers to copy them; push each platform to the target repository instead`,
    );
  }
  throw await responseError(resp, what);
}
