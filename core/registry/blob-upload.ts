/**
 * uploadBlob: makes one blob present in a repository (formats.md 5.1 push order): HEAD, and
 * if absent an optional cross-repo mount, else POST for an upload URL then either one PUT
 * with the whole body (monolithic, the default) or PATCH chunks in order and a final PUT
 * `?digest=`. The latest `Location` is always the one used. A failed upload (network, 5xx)
 * is started again from the POST, up to the client's tries.
 */
import type { Digest } from '../oci/digest.js';
import { DigestMismatchError } from '../oci/errors.js';
import type { Descriptor } from '../oci/types.js';
import { discardBody, responseError } from './http-body.js';
import type { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-error.js';
import { streamRequest } from './stream-request.js';

export interface UploadBlobOptions {
  /** A repository on the same registry that may hold the blob already (cross-repo mount). */
  mountFrom?: string;
  /** Bytes per PATCH; unset means one monolithic PUT. */
  chunkSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export type UploadResult = 'exists' | 'mounted' | 'uploaded';

/** `open` must yield exactly the bytes `desc` names, afresh on every call. */
export async function uploadBlob(
  client: RegistryClient,
  repo: string,
  desc: Descriptor,
  open: () => AsyncIterable<Uint8Array>,
  opts: UploadBlobOptions = {},
): Promise<UploadResult> {
  if (await client.hasBlob(repo, desc.digest, 'pull,push')) return 'exists';
  const what = `push blob ${client.domain}/${repo}@${desc.digest}`;
  return client.retrying(what, async () => {
    const from = opts.mountFrom;
    const query = from !== undefined ? `?mount=${desc.digest}&from=${encodeURIComponent(from)}` : '';
    const start = await client.send({
      method: 'POST',
      url: `/v2/${repo}/blobs/uploads/${query}`,
      repo,
      actions: 'pull,push',
      ...(from !== undefined ? { extraScopes: [`repository:${from}:pull`] } : {}),
      headers: { 'content-length': '0' },
    });
    if (start.status === 201 && from !== undefined) {
      await discardBody(start);
      return 'mounted';
    }
    if (start.status !== 202) throw await responseError(start, what);
    let location = await nextLocation(client, start, what);
    await discardBody(start);
    if (opts.chunkSize !== undefined) {
      location = await patchChunks(
        client,
        repo,
        location,
        open,
        opts.chunkSize,
        desc.size,
        what,
        opts.onProgress,
      );
      await finish(client, repo, location, desc.digest, what, undefined, 0);
    } else {
      const body = counted(open, desc.size, opts.onProgress);
      await finish(client, repo, location, desc.digest, what, body, desc.size);
    }
    return 'uploaded';
  });
}

/** The upload URL a registry answered with (relative Locations resolve against its origin). */
export async function nextLocation(client: RegistryClient, resp: Response, what: string): Promise<URL> {
  const loc = resp.headers.get('location');
  if (loc === null) throw new RegistryError(`${what}: ${resp.status} without an upload Location`);
  // A relative Location is relative to the request URL, which was on the registry's origin.
  return new URL(loc, await client.url('/v2/'));
}

async function patchChunks(
  client: RegistryClient,
  repo: string,
  first: URL,
  open: () => AsyncIterable<Uint8Array>,
  chunkSize: number,
  total: number,
  what: string,
  onProgress?: (done: number, total: number) => void,
): Promise<URL> {
  let location = first;
  let sent = 0;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const flush = async () => {
    const chunk = Buffer.concat(pending, pendingLen);
    pending = [];
    pendingLen = 0;
    const resp = await client.send({
      method: 'PATCH',
      url: location,
      repo,
      actions: 'pull,push',
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${sent}-${sent + chunk.length - 1}`,
        'content-length': String(chunk.length),
      },
      body: () => chunk,
    });
    if (resp.status !== 202) throw await responseError(resp, `${what}: chunk at ${sent}`);
    location = await nextLocation(client, resp, what);
    await discardBody(resp);
    sent += chunk.length;
    onProgress?.(sent, total);
  };
  for await (const c of open()) {
    let b = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    while (b.length > 0) {
      const take = Math.min(chunkSize - pendingLen, b.length);
      pending.push(b.subarray(0, take));
      pendingLen += take;
      b = b.subarray(take);
      if (pendingLen === chunkSize) await flush();
    }
  }
  if (pendingLen > 0) await flush();
  return location;
}

/** The closing `PUT ?digest=` of an upload (with the last bytes as `body`, or none). */
export async function finish(
  client: RegistryClient,
  repo: string,
  location: URL,
  digest: Digest,
  what: string,
  body: (() => AsyncIterable<Uint8Array>) | undefined,
  length: number,
): Promise<void> {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(length) };
  // A body goes through streamRequest: fetch would hold the whole blob in memory (see there).
  // The POST just before learnt the auth challenge, so the header is current.
  const auth = body !== undefined ? await client.authorization(repo, 'pull,push') : undefined;
  const resp =
    body === undefined
      ? await client.send({ method: 'PUT', url, repo, actions: 'pull,push', headers })
      : await streamRequest(
          url,
          'PUT',
          { ...headers, ...(auth !== undefined ? { authorization: auth } : {}) },
          body(),
        );
  if (resp.status !== 201 && resp.status !== 204) throw await responseError(resp, what);
  const said = resp.headers.get('docker-content-digest');
  await discardBody(resp);
  if (said !== null && said !== digest) {
    throw new DigestMismatchError(`${what}: registry stored ${said}`);
  }
}

/** Wraps `open` to report progress and to refuse a source that yields more or less than `size`. */
function counted(
  open: () => AsyncIterable<Uint8Array>,
  size: number,
  onProgress?: (done: number, total: number) => void,
): () => AsyncIterable<Uint8Array> {
  return async function* () {
    let n = 0;
    for await (const c of open()) {
      n += c.byteLength;
      if (n > size) throw new DigestMismatchError(`push blob: source is longer than ${size} bytes`);
      onProgress?.(n, size);
      yield c;
    }
    if (n !== size) throw new DigestMismatchError(`push blob: source has ${n} bytes, expected ${size}`);
  };
}
