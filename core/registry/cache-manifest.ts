/**
 * The shared-cache artifact: one OCI manifest whose config is a CacheConfig (the cache
 * records and what their layers are) and whose layers are every blob it names: layer blobs
 * (gzip, base first), COPY file lists, and cache-mount tars. In a registry it lives under a
 * tag; locally it is an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/`), like
 * BuildKit's `type=local` cache. CacheBlobs moves blobs in and out of either place.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../../store/index.js';
import type { CacheRecord } from '../cache/records.js';
import { DirHandle } from '../fs/dir-handle.js';
import { replaceFile, replaceFileWith } from '../fs/exclusive-file.js';
import { openVerifiedFile, readFileBounded } from '../fs/read-bounded.js';
import { type Digest, digestHex, isDigest, sha256 } from '../oci/digest.js';
import { DigestMismatchError, NotFoundError } from '../oci/errors.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, Index } from '../oci/types.js';
import { fetchBlob } from './blob-download.js';
import { uploadBlob } from './blob-upload.js';
import type { CacheLocation } from './cache-spec.js';
import { checkDescriptor, type ManifestDocument, parseManifestDocument } from './manifest-document.js';
import type { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-error.js';

export const CACHE_ARTIFACT_TYPE = 'application/vnd.strata.cache.v1';
export const CACHE_CONFIG_TYPE = 'application/vnd.strata.cache.config.v1+json';
export const CACHE_FILES_TYPE = 'application/vnd.strata.cache.files.v1+json';
export const CACHE_MOUNT_TYPE = 'application/vnd.strata.cache.mount.v1.tar+gzip';
const REF_NAME = 'org.opencontainers.image.ref.name';
/** Between the main tag and a part's content digest: `cache-part-0123456789abcdef`. */
const PART = '-part-';

export interface CacheLayerEntry {
  chainId: Digest;
  diffId: Digest;
  parent?: Digest;
  size: number;
  blob: Descriptor;
}

export interface CacheConfig {
  version: 1;
  records: CacheRecord[];
  /** Every layer the records name, with its whole chain, parents before children. */
  layers: CacheLayerEntry[];
  /** COPY per-file checksum lists (`filesBlob`), kept so a later miss can be explained. */
  files: Descriptor[];
  mounts: { id: string; blob: Descriptor }[];
}

/** Where cache blobs go to and come from: a registry repository or a local OCI layout. */
export class CacheBlobs {
  readonly location: CacheLocation;
  readonly #client: RegistryClient | undefined;
  readonly #repo: string;
  readonly #tag: string;

  constructor(location: CacheLocation, client?: RegistryClient, repo = '', tag = 'cache') {
    this.location = location;
    this.#client = client;
    this.#repo = repo;
    this.#tag = tag;
  }

  #path(d: Digest): string {
    if (this.location.type !== 'local') throw new RegistryError('cache: not a local layout');
    return join(this.location.dir, 'blobs', 'sha256', digestHex(d));
  }

  /** Makes `desc` present at the location, its bytes from `source` (a store blob). */
  async put(desc: Descriptor, source: () => AsyncIterable<Uint8Array>): Promise<void> {
    if (this.#client !== undefined) {
      await uploadBlob(this.#client, this.#repo, desc, source);
      return;
    }
    const target = this.#path(desc.digest);
    const have = await lstat(target).catch(() => undefined);
    if (have?.isFile() && have.size === desc.size) return;
    const layout = await DirHandle.openNamed((this.location as { dir: string }).dir);
    try {
      // Entered by descriptor, no-follow: a symlink planted as blobs/ is never written through.
      const blobs = await layout.descend('blobs/sha256');
      try {
        await replaceFile(blobs.path(digestHex(desc.digest)), (fh) =>
          pipeline(source(), fh.createWriteStream()),
        );
      } finally {
        await blobs.close();
      }
    } finally {
      await layout.close();
    }
  }

  /** Whether the location is a registry (where several jobs may export at once). */
  get shared(): boolean {
    return this.#client !== undefined;
  }

  /**
   * The tag one export's own entries live under beside the main tag: named by their content,
   * so no other job ever overwrites it (the same entries give the same tag and bytes).
   */
  partTag(manifest: Digest): string {
    return `${this.#tag.slice(0, 100)}${PART}${digestHex(manifest).slice(0, 16)}`;
  }

  /** The part tags next to the main tag, sorted (none for a local layout, or a digest ref). */
  async listParts(): Promise<string[]> {
    if (this.#client === undefined || this.#tag.startsWith('sha256:')) return [];
    const prefix = `${this.#tag.slice(0, 100)}${PART}`;
    const tags = await this.#client.listTags(this.#repo).catch(() => [] as string[]);
    return tags.filter((t) => t.startsWith(prefix)).sort();
  }

  /** Writes the manifest and points the tag (registry; `tag` or the main one) or index.json (local) at it. */
  async putManifest(bytes: Buffer, tag = this.#tag): Promise<Descriptor> {
    const desc: Descriptor = { mediaType: MediaType.ociManifest, digest: sha256(bytes), size: bytes.length };
    if (this.#client !== undefined) {
      await this.#client.putManifest(this.#repo, tag, MediaType.ociManifest, bytes);
      return desc;
    }
    const dir = (this.location as { dir: string }).dir;
    await this.put(desc, async function* () {
      yield bytes;
    });
    const index: Index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [{ ...desc, artifactType: CACHE_ARTIFACT_TYPE, annotations: { [REF_NAME]: this.#tag } }],
    };
    await replaceFileWith(join(dir, 'oci-layout'), `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`);
    await replaceFileWith(join(dir, 'index.json'), `${JSON.stringify(index)}\n`);
    return desc;
  }

  /** The cache manifest's bytes, verified against the digest they were reached by. */
  async getManifest(maxBytes: number, tag = this.#tag): Promise<{ bytes: Buffer; digest: Digest }> {
    if (this.#client !== undefined) {
      const doc = await this.#client.getManifest(this.#repo, tag);
      if (doc.kind !== 'manifest')
        throw new RegistryError(`import cache: ${tag} is an index, not a cache manifest`);
      return { bytes: doc.bytes, digest: doc.digest };
    }
    const dir = (this.location as { dir: string }).dir;
    let index: Index;
    try {
      index = JSON.parse(
        (await readFileBounded(join(dir, 'index.json'), maxBytes)).toString('utf8'),
      ) as Index;
    } catch (err) {
      throw new NotFoundError(`import cache: no readable index.json in ${dir}`, { cause: err });
    }
    const desc = index.manifests?.find((m) => m.artifactType === CACHE_ARTIFACT_TYPE) ?? index.manifests?.[0];
    if (desc === undefined) throw new NotFoundError(`import cache: ${dir}/index.json names no manifest`);
    if (desc.size > maxBytes)
      throw new RegistryError(`import cache: manifest of ${desc.size} bytes is over the limit`);
    return { bytes: await this.readSmall(desc, maxBytes), digest: desc.digest };
  }

  /** A small blob read whole and verified (digest and size). */
  async readSmall(desc: Descriptor, maxBytes: number): Promise<Buffer> {
    if (desc.size > maxBytes)
      throw new RegistryError(`import cache: blob ${desc.digest} is over ${maxBytes} bytes`);
    if (this.#client !== undefined) return this.#client.readBlob(this.#repo, desc, maxBytes);
    const parts: Buffer[] = [];
    for await (const c of this.#openLocal(desc, maxBytes)) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }

  /**
   * A blob of the local cache dir (anyone may have written it): not through a symlink, a
   * regular file of the declared size, verified as it streams (core/fs/read-bounded.ts).
   */
  #openLocal(desc: Descriptor, maxBytes: number): Readable {
    const path = this.#path(desc.digest);
    return openVerifiedFile(
      path,
      { digest: desc.digest, size: desc.size },
      {
        maxBytes,
        what: `import cache: ${path}`,
        mismatch: () =>
          new DigestMismatchError(`import cache: ${path} is not ${desc.digest} (${desc.size} bytes)`),
      },
    );
  }

  /** Makes the blob present in the store, verified by digest and size before it is committed. */
  async toStore(store: Store, desc: Descriptor): Promise<void> {
    if (await store.hasBlob(desc.digest)) return;
    let w = await store.ingest();
    try {
      if (this.#client !== undefined) {
        await fetchBlob(this.#client, this.#repo, desc, {
          write: (chunk) => writeChunk(w.stream, chunk),
          reset: async () => {
            await w.abort();
            w = await store.ingest();
          },
        });
      } else {
        await pipeline(this.#openLocal(desc, Number.MAX_SAFE_INTEGER), w.stream);
      }
      await w.commit({ digest: desc.digest, size: desc.size });
    } catch (err) {
      await w.abort();
      throw err;
    }
  }
}

function writeChunk(stream: NodeJS.WritableStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = stream.write(chunk, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else stream.once('drain', resolve);
  });
}

const MAX_MANIFEST = 4 * 1024 * 1024;
const MAX_CONFIG = 64 * 1024 * 1024;

/** The cache manifest under `tag` (default the main one) and its CacheConfig, checked. */
export async function readCacheConfig(
  source: CacheBlobs,
  what: string,
  tag?: string,
): Promise<{ doc: Extract<ManifestDocument, { kind: 'manifest' }>; config: CacheConfig }> {
  const { bytes, digest } = await source.getManifest(MAX_MANIFEST, tag);
  const doc = parseManifestDocument(bytes, MediaType.ociManifest, `cache ${what}`, digest);
  if (doc.kind !== 'manifest' || doc.manifest.config.mediaType !== CACHE_CONFIG_TYPE) {
    throw new RegistryError(
      `import cache ${what}: not a strata cache (config ${doc.kind === 'manifest' ? doc.manifest.config.mediaType : 'none'})`,
    );
  }
  return { doc, config: parseCacheConfig(await source.readSmall(doc.manifest.config, MAX_CONFIG), what) };
}

/**
 * The union of cache configs: records by key (the newest record of a key wins), layers by
 * chainID (parents before children again), file lists by digest, mounts by id (the later
 * config's wins: it is the newer export).
 */
export function mergeCacheConfigs(configs: CacheConfig[]): CacheConfig {
  const records = new Map<Digest, CacheRecord>();
  const layers = new Map<Digest, CacheLayerEntry>();
  const files = new Map<Digest, Descriptor>();
  const mounts = new Map<string, { id: string; blob: Descriptor }>();
  for (const c of configs) {
    for (const r of c.records) {
      const have = records.get(r.key);
      if (!have || (have.createdAt ?? '') < (r.createdAt ?? '')) records.set(r.key, r);
    }
    for (const l of c.layers) if (!layers.has(l.chainId)) layers.set(l.chainId, l);
    for (const f of c.files) if (!files.has(f.digest)) files.set(f.digest, f);
    for (const m of c.mounts) mounts.set(m.id, m);
  }
  const depth = (l: CacheLayerEntry): number => {
    let n = 0;
    for (let p = l.parent; p !== undefined && n <= layers.size; p = layers.get(p)?.parent) n++;
    return n;
  };
  const ordered = [...layers.values()].sort(
    (a, b) => depth(a) - depth(b) || a.chainId.localeCompare(b.chainId),
  );
  return {
    version: 1,
    records: [...records.values()],
    layers: ordered,
    files: [...files.values()],
    mounts: [...mounts.values()],
  };
}

export function parseCacheConfig(bytes: Buffer, what: string): CacheConfig {
  let c: CacheConfig;
  try {
    c = JSON.parse(bytes.toString('utf8')) as CacheConfig;
  } catch (err) {
    throw new RegistryError(`import cache ${what}: config is not json`, { cause: err });
  }
  const ok =
    c !== null &&
    typeof c === 'object' &&
    c.version === 1 &&
    Array.isArray(c.records) &&
    Array.isArray(c.layers) &&
    Array.isArray(c.files) &&
    Array.isArray(c.mounts) &&
    c.records.every((r: CacheRecord) => r && isDigest(r.key) && typeof r.keyInputs === 'object') &&
    c.layers.every(
      (l) => l && isDigest(l.chainId) && isDigest(l.diffId) && (l.parent === undefined || isDigest(l.parent)),
    ) &&
    c.mounts.every((m) => m && typeof m.id === 'string' && m.id !== '');
  if (!ok) throw new RegistryError(`import cache ${what}: malformed cache config`);
  for (const d of [...c.layers.map((l) => l.blob), ...c.files, ...c.mounts.map((m) => m.blob)])
    checkDescriptor(d, `cache ${what}`);
  return c;
}
