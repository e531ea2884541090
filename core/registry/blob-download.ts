/**
 * fetchBlob: streams one blob from a registry into a sink, verified against its descriptor
 * as it goes (go-containerregistry `verify`: a size limit plus a digest check at the end).
 * - More bytes than `size` -> DigestMismatchError at once (the rest is never read).
 * - A body that ends cleanly short of `size`, or hashes to another digest at the end ->
 *   DigestMismatchError. Mismatches are never retried: the registry would send them again.
 * - A connection cut (or 5xx) -> retried: with `Range: bytes=<got>-` so what arrived is kept;
 *   if the registry answers 200 instead of 206 the sink is reset and the blob restarts.
 * The sink decides what "kept" means; it is told about every restart through reset().
 */
import { createHash, type Hash } from 'node:crypto';
import type { Digest } from '../oci/digest.js';
import { DigestMismatchError, NotFoundError } from '../oci/errors.js';
import type { Descriptor } from '../oci/types.js';
import { bodyStream, discardBody, responseError } from './http-body.js';
import type { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-error.js';

export interface BlobSink {
  /** Takes the next bytes; resolves when it can take more (backpressure). */
  write(chunk: Buffer): Promise<void>;
  /** Forgets everything written so far: the transfer starts again at byte 0. */
  reset(): Promise<void>;
  /**
   * For a sink that hashes what it keeps anyway (a store ingest): the sha256 of every byte
   * written since the last reset, asked once after the last write. fetchBlob then checks
   * that instead of hashing each byte a second time on the same thread.
   */
  digest?(): Promise<Digest>;
}

export interface FetchBlobOptions {
  /** Called as bytes arrive (after a restart, `done` starts from 0 again). */
  onProgress?: (done: number, total: number) => void;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

export async function fetchBlob(
  client: RegistryClient,
  repo: string,
  desc: Descriptor,
  sink: BlobSink,
  opts: FetchBlobOptions = {},
): Promise<void> {
  const what = `fetch blob ${client.domain}/${repo}@${desc.digest}`;
  let offset = 0;
  const own = sink.digest === undefined;
  let hash: Hash | undefined = own ? createHash('sha256') : undefined;
  const restart = async () => {
    if (offset === 0) return;
    await sink.reset();
    offset = 0;
    if (own) hash = createHash('sha256');
  };
  await client.retrying(what, async () => {
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const resp = await client.send({ method: 'GET', url: `/v2/${repo}/blobs/${desc.digest}`, repo, headers });
    if (resp.status === 404) {
      await discardBody(resp);
      throw new NotFoundError(`${what}: not found in the registry`);
    }
    if (resp.status === 206 && offset > 0) {
      const m = CONTENT_RANGE.exec(resp.headers.get('content-range') ?? '');
      if (m === null || Number(m[1]) !== offset) {
        // A range we did not ask for: start over rather than splice bytes we cannot place.
        await discardBody(resp);
        await restart();
        throw new RegistryError(`${what}: registry answered a different range`, { retryable: true });
      }
    } else if (resp.status === 200) {
      await restart();
      const declared = Number(resp.headers.get('content-length') ?? Number.NaN);
      if (Number.isFinite(declared) && declared > desc.size) {
        await discardBody(resp);
        throw new DigestMismatchError(
          `${what}: registry sends ${declared} bytes, its descriptor says ${desc.size}`,
        );
      }
    } else {
      throw await responseError(resp, what);
    }
    const body = bodyStream(resp);
    for await (const c of body) {
      const chunk = c as Buffer;
      if (offset + chunk.length > desc.size) {
        body.destroy();
        throw new DigestMismatchError(`${what}: more than the ${desc.size} bytes its descriptor says`);
      }
      hash?.update(chunk);
      offset += chunk.length;
      await sink.write(chunk);
      opts.onProgress?.(offset, desc.size);
    }
    if (offset < desc.size) {
      throw new DigestMismatchError(`${what}: got ${offset} bytes, its descriptor says ${desc.size}`);
    }
  });
  const got: Digest = hash !== undefined ? `sha256:${hash.digest('hex')}` : await sink.digest!();
  if (got !== desc.digest) throw new DigestMismatchError(`${what}: content is ${got}`);
}
