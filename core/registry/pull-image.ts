/**
 * pullImage: a registry image into the store, verified at every edge (security.md 4.2).
 * manifest (by digest when an index picked it) -> config (digest, size, diff_ids count) ->
 * layers, downloaded in parallel, each streamed at once into an ingest and through
 * applyLayer; a layer's blob must match its descriptor and its tar its config diff_id.
 * Only when every layer passed are blobs committed, layers committed in chain order (with
 * their compressed blob recorded, so a later push needs no recompression), the config and
 * manifest stored and the ref set. Any failure leaves the store as it was.
 */
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Store } from '../../store/index.js';
import { applyLayer } from '../diff/apply-layer.js';
import { addPlatformImage } from '../image/platform-image.js';
import { parseImageConfig } from '../image/read-image.js';
import { type ParsedRef, parseRef, repositoryName } from '../image/reference.js';
import { chainIds, type Digest } from '../oci/digest.js';
import { DigestMismatchError, NotFoundError } from '../oci/errors.js';
import { isLayerMediaType, isManifestMediaType, MediaType } from '../oci/media-types.js';
import type { Descriptor, ImageConfig, Manifest, Platform } from '../oci/types.js';
import { fetchBlob } from './blob-download.js';
import { boundedMap } from './bounded-map.js';
import { LayerDownload } from './layer-download.js';
import type { ManifestDocument } from './manifest-document.js';
import { formatPlatform, hostPlatform, parsePlatform, platformRuns, selectPlatform } from './platform.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { RegistryError } from './registry-error.js';

export type PullProgress =
  | { type: 'resolved'; ref: string; manifest: Digest; platform: string }
  | {
      type: 'layer';
      digest: Digest;
      status: 'exists' | 'downloading' | 'applied';
      done: number;
      total: number;
    }
  | { type: 'done'; ref: string; config: Digest };

export interface PullOptions extends RegistryClientOptions {
  /** `os/arch[/variant]` or a Platform; default the host's (linux/amd64 on x86-64). */
  platform?: string | Platform;
  onProgress?: (e: PullProgress) => void;
  /** Layers downloaded at once (default 3). */
  concurrency?: number;
}

export interface PullResult {
  config: Digest;
  manifest: Descriptor;
  /** The normalised name the ref was stored under. */
  ref: string;
}

const CONFIG_TYPES = new Set<string>([MediaType.ociConfig, MediaType.dockerConfig]);

export async function pullImage(store: Store, ref: string, opts: PullOptions = {}): Promise<PullResult> {
  const parsed = parseRef(ref);
  const name = storedName(parsed);
  const want =
    typeof opts.platform === 'string' ? parsePlatform(opts.platform) : (opts.platform ?? hostPlatform());
  const client = await RegistryClient.create(parsed.domain, opts);
  const repo = parsed.path;
  const doc = await resolveManifest(client, repo, parsed, want);
  const manifest = doc.manifest;
  opts.onProgress?.({ type: 'resolved', ref: name, manifest: doc.digest, platform: formatPlatform(want) });
  checkManifest(manifest, name);

  const configBytes = await client.readBlob(repo, manifest.config);
  const config = parseImageConfig(configBytes, `${name}`);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new DigestMismatchError(
      `pull ${name}: config lists ${config.rootfs.diff_ids.length} diff_ids but the manifest ${manifest.layers.length} layers`,
    );
  }
  const have = {
    os: config.os,
    architecture: config.architecture,
    ...(config.variant ? { variant: config.variant } : {}),
  };
  if (!platformRuns(want, have)) {
    throw new NotFoundError(
      `pull ${name}: image is for ${formatPlatform(have)}, not ${formatPlatform(want)} (use --platform)`,
    );
  }
  await pullLayers(store, client, repo, manifest, config, opts);
  const manifestDescriptor: Descriptor = {
    mediaType: doc.mediaType,
    digest: doc.digest,
    size: doc.bytes.length,
  };
  await store.putBlob(configBytes, manifest.config.digest);
  await store.putBlob(doc.bytes, doc.digest);
  // Another platform of the same name stays: pulling linux/arm64 after linux/amd64 makes a
  // name that holds both, as a build for both platforms does.
  await addPlatformImage(store, name, manifest.config.digest, {
    manifest: manifestDescriptor,
    ...(typeof config.created === 'string' ? { created: config.created } : {}),
  });
  opts.onProgress?.({ type: 'done', ref: name, config: manifest.config.digest });
  return { config: manifest.config.digest, manifest: manifestDescriptor, ref: name };
}

/** `repo:tag` when there is a tag (like docker pull), else `repo@digest`. */
function storedName(ref: ParsedRef): string {
  const repo = repositoryName(ref);
  return ref.tag !== undefined ? `${repo}:${ref.tag}` : `${repo}@${ref.digest}`;
}

async function resolveManifest(
  client: RegistryClient,
  repo: string,
  ref: ParsedRef,
  want: Platform,
): Promise<Extract<ManifestDocument, { kind: 'manifest' }>> {
  const reference = ref.digest ?? ref.tag!;
  const top = await client.getManifest(repo, reference);
  if (top.kind === 'manifest') return top;
  const pick = selectPlatform(top.index.manifests, want);
  if (pick === undefined) {
    const avail = top.index.manifests
      .filter((d) => d.platform !== undefined && d.platform.os !== 'unknown')
      .map((d) => formatPlatform(d.platform!));
    throw new NotFoundError(
      `pull ${client.domain}/${repo}: no manifest for ${formatPlatform(want)} (available: ${avail.join(', ') || 'none'})`,
    );
  }
  if (!isManifestMediaType(pick.mediaType)) {
    throw new RegistryError(
      `pull ${client.domain}/${repo}: index entry ${pick.digest} has media type ${pick.mediaType}`,
    );
  }
  const doc = await client.getManifest(repo, pick.digest, pick.digest);
  if (doc.kind !== 'manifest') {
    throw new RegistryError(`pull ${client.domain}/${repo}: ${pick.digest} is an index inside an index`);
  }
  return doc;
}

function checkManifest(m: Manifest, name: string): void {
  if (!CONFIG_TYPES.has(m.config.mediaType)) {
    throw new RegistryError(`pull ${name}: not a container image (config media type ${m.config.mediaType})`);
  }
  for (const [i, l] of m.layers.entries()) {
    if (!isLayerMediaType(l.mediaType) || l.mediaType === MediaType.dockerForeignLayerGzip) {
      throw new RegistryError(`pull ${name}: layer ${i} has unsupported media type ${l.mediaType}`);
    }
    if (l.urls !== undefined && l.urls.length > 0) {
      throw new RegistryError(`pull ${name}: layer ${i} is a foreign layer (urls); not supported`);
    }
  }
}

interface Staged {
  index: number;
  dir: string;
  size: number;
  download?: LayerDownload;
  /** The staging dir when the layer was applied from a blob already in the store. */
  cleanup?: () => Promise<void>;
}

async function pullLayers(
  store: Store,
  client: RegistryClient,
  repo: string,
  manifest: Manifest,
  config: ImageConfig,
  opts: PullOptions,
): Promise<void> {
  const diffIds = config.rootfs.diff_ids;
  const chains = chainIds(diffIds);
  const staged: Staged[] = [];
  const report = (d: Descriptor, status: 'exists' | 'downloading' | 'applied', done: number) =>
    opts.onProgress?.({ type: 'layer', digest: d.digest, status, done, total: d.size });
  try {
    await boundedMap(manifest.layers, opts.concurrency ?? 3, async (desc, i) => {
      if ((await store.getLayer(chains[i])) !== undefined) {
        report(desc, 'exists', desc.size);
        return;
      }
      await stageLayer(store, client, repo, desc, i, diffIds[i], staged, (n) =>
        report(desc, 'downloading', n),
      );
      report(desc, 'applied', desc.size);
    });
    // Every layer checked out: now make things visible, blobs first so records never dangle.
    staged.sort((a, b) => a.index - b.index);
    for (const s of staged) {
      const d = manifest.layers[s.index];
      if (s.download !== undefined) await s.download.ingest.commit({ digest: d.digest, size: d.size });
    }
    for (const s of staged) {
      const i = s.index;
      await store.commitLayer(s.dir, {
        chainId: chains[i],
        diffId: diffIds[i],
        size: s.size,
        ...(i > 0 ? { parent: chains[i - 1] } : {}),
      });
      const d = manifest.layers[i];
      await store.addCompressed(chains[i], { digest: d.digest, size: d.size, mediaType: d.mediaType });
    }
  } finally {
    await Promise.all(staged.map((s) => (s.download ? s.download.discard() : s.cleanup?.())));
  }
}

async function stageLayer(
  store: Store,
  client: RegistryClient,
  repo: string,
  desc: Descriptor,
  index: number,
  diffId: Digest,
  staged: Staged[],
  onBytes: (n: number) => void,
): Promise<void> {
  let result: { diffId: Digest; size: number };
  let entry: Staged;
  if (await store.hasBlob(desc.digest)) {
    // The blob came with an earlier pull or load: apply it from the store, verified on read.
    const dir = await store.makeStagingDir();
    entry = { index, dir, size: 0, cleanup: () => rm(dirname(dir), { recursive: true, force: true }) };
    staged.push(entry);
    result = await applyLayer(dir, store.openBlob(desc.digest));
  } else {
    const download = await LayerDownload.start(store);
    entry = { index, dir: '', size: 0, download };
    staged.push(entry);
    await fetchBlob(client, repo, desc, download, { onProgress: (n) => onBytes(n) });
    result = await download.finish();
    entry.dir = download.dir;
  }
  if (result.diffId !== diffId) {
    throw new DigestMismatchError(
      `pull layer ${index} (${desc.digest}): uncompressed content is ${result.diffId}, the image config says ${diffId}`,
    );
  }
  entry.size = result.size;
}
