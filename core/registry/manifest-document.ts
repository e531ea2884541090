/**
 * Checks a manifest or index fetched from a registry before anything uses it (formats.md
 * 5.3, security.md 4.2): the bytes hash to the digest asked for, the type is one of the four
 * strata pulls (schema1 refused), `Content-Type` and the body's `mediaType` agree, and the
 * shape fits the type (a "manifest" with `manifests`, or an "index" with `layers`, is the
 * CVE-2021-41190 confusion and is refused).
 */
import { type Digest, isDigest, sha256 } from '../oci/digest.js';
import { DigestMismatchError } from '../oci/errors.js';
import { isIndexMediaType, isManifestMediaType } from '../oci/media-types.js';
import type { Descriptor, Index, Manifest } from '../oci/types.js';
import { RegistryError } from './registry-error.js';

export type ManifestDocument =
  | { kind: 'manifest'; mediaType: string; digest: Digest; bytes: Buffer; manifest: Manifest }
  | { kind: 'index'; mediaType: string; digest: Digest; bytes: Buffer; index: Index };

const SCHEMA1 = /^application\/vnd\.docker\.distribution\.manifest\.v1\+(prettyjws|json)$/;

/**
 * Parses and checks `bytes`. `expected` is the digest the caller asked for (a digest
 * reference, or the descriptor that named it); `headerDigest` is the registry's
 * `Docker-Content-Digest`, which must agree when sent. DigestMismatchError when the bytes
 * are not what was asked for; RegistryError when the document is malformed or unsupported.
 */
export function parseManifestDocument(
  bytes: Buffer,
  contentType: string | null,
  what: string,
  expected?: Digest,
  headerDigest?: string | null,
): ManifestDocument {
  const digest = sha256(bytes);
  if (expected !== undefined && digest !== expected) {
    throw new DigestMismatchError(`verify manifest ${what}: content is ${digest}, expected ${expected}`);
  }
  if (headerDigest && isDigest(headerDigest) && headerDigest !== digest) {
    throw new DigestMismatchError(
      `verify manifest ${what}: content is ${digest}, the registry says ${headerDigest}`,
    );
  }
  let body: Record<string, unknown>;
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    body = v as Record<string, unknown>;
  } catch (err) {
    throw new RegistryError(`parse manifest ${what}: not a json object`, { cause: err });
  }
  const ct = contentType?.split(';')[0].trim().toLowerCase() || undefined;
  const bodyType = typeof body.mediaType === 'string' ? body.mediaType : undefined;
  if ((ct && SCHEMA1.test(ct)) || body.schemaVersion === 1) {
    throw new RegistryError(`parse manifest ${what}: docker schema1 manifests are not supported`);
  }
  const known = (t: string | undefined) => isManifestMediaType(t) || isIndexMediaType(t);
  if (known(ct) && bodyType !== undefined && bodyType !== ct) {
    throw new RegistryError(`parse manifest ${what}: Content-Type is ${ct} but the body says ${bodyType}`);
  }
  const mediaType = known(ct) ? ct! : bodyType;
  if (!known(mediaType)) {
    throw new RegistryError(
      `parse manifest ${what}: unsupported media type ${JSON.stringify(mediaType ?? ct ?? 'none')}`,
    );
  }
  if (body.schemaVersion !== 2) throw new RegistryError(`parse manifest ${what}: schemaVersion must be 2`);
  if (isIndexMediaType(mediaType)) {
    if ('config' in body || 'layers' in body || !Array.isArray(body.manifests)) {
      throw new RegistryError(
        `parse manifest ${what}: ${mediaType} must have manifests and no config or layers`,
      );
    }
    for (const d of body.manifests) checkDescriptor(d, what);
    return { kind: 'index', mediaType: mediaType!, digest, bytes, index: body as unknown as Index };
  }
  if ('manifests' in body || !Array.isArray(body.layers) || body.config === undefined) {
    throw new RegistryError(
      `parse manifest ${what}: ${mediaType} must have config and layers and no manifests`,
    );
  }
  checkDescriptor(body.config, what);
  for (const d of body.layers) checkDescriptor(d, what);
  return { kind: 'manifest', mediaType: mediaType!, digest, bytes, manifest: body as unknown as Manifest };
}

/** A descriptor must name sha256 content of a non-negative integer size. */
export function checkDescriptor(d: unknown, what: string): asserts d is Descriptor {
  const x = d as Partial<Descriptor> | null;
  const ok =
    x !== null &&
    typeof x === 'object' &&
    typeof x.mediaType === 'string' &&
    isDigest(x.digest) &&
    typeof x.size === 'number' &&
    Number.isSafeInteger(x.size) &&
    x.size >= 0;
  if (!ok)
    throw new RegistryError(`parse manifest ${what}: bad descriptor ${JSON.stringify(d)?.slice(0, 200)}`);
}
