/**
 * The files of an OCI image layout (and the docker save extras) for one image, as data:
 * shared by the tar exporter and the directory exporter.
 */
import { familiarRef, normalizeRef, parseRef } from '../image/reference.js';
import { type Digest, digestHex } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor, DockerArchiveManifestEntry, Index } from '../oci/types.js';
import type { BuiltManifest } from './build-manifest.js';

export const IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const OCI_LAYOUT = `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}`;

/**
 * The most a JSON member of an archive or layout (index.json, manifest.json, a manifest,
 * a config) may be: read whole into memory, so bounded (containerd's importer uses 20 MiB,
 * core/images/archive/importer.go jsonLimit, after CVE-2023-25153).
 */
export const MAX_JSON_BYTES = 20 * 2 ** 20;

/** `data` parsed as JSON; InvalidInputError naming `what` when it is not. */
export function parseJsonMember<T>(data: Buffer, what: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw new InvalidInputError(`read ${what}: not json`, { cause: err });
  }
}

export function blobPath(d: Digest): string {
  return `blobs/sha256/${digestHex(d)}`;
}

/**
 * index.json descriptors: one per tag, annotated with the full normalised name
 * (containerd, Docker 25) and the tag alone (OCI ref.name); one bare descriptor when there
 * are no tags. Tags must be references with a tag, not a digest (InvalidInputError).
 */
export function indexDescriptors(
  built: Pick<BuiltManifest, 'manifestDescriptor'>,
  tags: readonly string[],
): Descriptor[] {
  if (tags.length === 0) return [built.manifestDescriptor];
  return normalizeTags(tags).map((name) => ({
    ...built.manifestDescriptor,
    annotations: { [IMAGE_NAME_ANNOTATION]: name, [REF_NAME_ANNOTATION]: parseRef(name).tag! },
  }));
}

export function makeIndex(manifests: Descriptor[]): Index {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
}

/** Normalised, de-duplicated, each with a tag (docker load refuses digest-only RepoTags). */
export function normalizeTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of tags) {
    const ref = parseRef(t);
    if (ref.tag === undefined || ref.digest !== undefined) {
      // docker load refuses digest references in RepoTags ("invalid tag").
      throw new InvalidInputError(
        `export image: ${JSON.stringify(t)} must be a name with a tag, not a digest`,
      );
    }
    const name = normalizeRef(t);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** manifest.json for docker load: Config and Layers point at blob paths (formats.md 4.5). */
export function dockerManifest(built: BuiltManifest, tags: readonly string[]): DockerArchiveManifestEntry[] {
  return [
    {
      Config: blobPath(built.configDescriptor.digest),
      RepoTags: normalizeTags(tags).map(familiarRef),
      Layers: built.layers.map((l) => blobPath(l.descriptor.digest)),
    },
  ];
}

/**
 * The legacy `repositories` file: familiar repository -> tag -> top layer id. Docker reads it
 * only for archives without manifest.json; written for older tools that look for it.
 */
export function dockerRepositories(built: BuiltManifest, tags: readonly string[]): string | undefined {
  const top = built.layers.at(-1);
  if (top === undefined || tags.length === 0) return undefined;
  const repos: Record<string, Record<string, string>> = {};
  for (const name of normalizeTags(tags)) {
    const familiar = familiarRef(name);
    const colon = familiar.lastIndexOf(':');
    const repo = familiar.slice(0, colon);
    repos[repo] ??= {};
    repos[repo][familiar.slice(colon + 1)] = digestHex(top.descriptor.digest);
  }
  return JSON.stringify(repos);
}
