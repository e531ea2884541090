/** Reading registry responses with limits, and turning error responses into RegistryErrors. */
import { Readable } from 'node:stream';
import { StreamedResponse } from './node-get.js';
import { RegistryError } from './registry-error.js';

/** The response body as a Node stream (empty when there is none). */
export function bodyStream(resp: Response): Readable {
  if (resp instanceof StreamedResponse) return resp.nodeBody;
  if (resp.body === null) return Readable.from([]);
  return Readable.fromWeb(resp.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

/**
 * Reads the whole body, refusing more than `max` bytes: a Content-Length above the cap is
 * refused before reading, and a body that grows past it is cut off (the stream is destroyed).
 * `tooBig` builds the error, so callers choose its class and wording.
 */
export async function readBodyLimited(
  resp: Response,
  max: number,
  tooBig: (n: number) => Error,
): Promise<Buffer> {
  const declared = Number(resp.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) {
    await discardBody(resp);
    throw tooBig(declared);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  const stream = bodyStream(resp);
  for await (const chunk of stream) {
    n += (chunk as Buffer).length;
    if (n > max) {
      stream.destroy();
      throw tooBig(n);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Drops a body we will not read, so the connection can be reused or closed. */
export async function discardBody(resp: Response): Promise<void> {
  if (resp instanceof StreamedResponse) {
    // Destroyed, not drained: the body may be a whole blob (the socket is reopened instead).
    if (!resp.nodeBody.readableEnded) resp.nodeBody.destroy();
    return;
  }
  try {
    await resp.body?.cancel();
  } catch {
    // already consumed or errored: nothing to release
  }
}

/**
 * A RegistryError for an unexpected status, with the registry's own `errors[0]` code and
 * message when the body carries them (formats.md 5.1): "push blob x: 404 BLOB_UNKNOWN: ...".
 */
export async function responseError(resp: Response, what: string): Promise<RegistryError> {
  let detail = resp.statusText || '';
  let registryCode: string | undefined;
  if (resp.body !== null || resp instanceof StreamedResponse) {
    try {
      const text = (await readBodyLimited(resp, 64 * 1024, () => new Error('big'))).toString('utf8');
      const parsed = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
      const e = parsed.errors?.[0];
      if (e && typeof e.code === 'string') {
        registryCode = e.code;
        detail = `${e.code}${typeof e.message === 'string' ? `: ${e.message}` : ''}`;
      }
    } catch {
      // not a registry error body: the status says enough
    }
  }
  return new RegistryError(`${what}: ${resp.status}${detail ? ` ${detail}` : ''}`, {
    status: resp.status,
    retryable: resp.status >= 500 || resp.status === 429,
    ...(registryCode !== undefined ? { registryCode } : {}),
  });
}
