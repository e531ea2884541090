/**
 * streamRequest: one HTTP request whose body is streamed with real backpressure, over
 * node:http(s) instead of fetch. Node 20's fetch reads a request stream as fast as it can
 * produce (measured: a 200 MB ReadableStream body, pulled lazily with highWaterMark 0, was
 * held whole in memory before the server had read it), so a large streamed upload through
 * fetch costs its size in RSS. Here each chunk waits for the socket to drain.
 *
 * No redirects and no auth renewal: the caller passes the headers (Authorization included)
 * and treats any failure as "use the ordinary path" or retries the whole upload (network
 * failures are retryable RegistryErrors). Resolves a StreamedResponse (node-get.ts) once the
 * whole body was sent and the response headers arrived.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { StreamedResponse } from './node-get.js';
import { RegistryError } from './registry-error.js';
import { tlsTrustOptions } from './tls-trust.js';

export async function streamRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: AsyncIterable<Uint8Array>,
): Promise<Response> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const trust = url.protocol === 'https:' ? tlsTrustOptions() : {};
  const req = send(url, { method, headers, ...trust });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  answered.catch(() => {}); // observed below, after the body
  const netError = (err: unknown) =>
    new RegistryError(`${method} ${url.origin}${url.pathname}: ${(err as Error).message}`, {
      cause: err,
      retryable: true,
    });
  try {
    for await (const chunk of body) {
      if (req.destroyed) break;
      if (req.write(chunk)) continue;
      const drained = await new Promise<Error | undefined>((resolve) => {
        const done = (err?: Error) => {
          req.off('drain', done);
          req.off('error', done);
          req.off('close', done);
          resolve(err);
        };
        req.on('drain', done);
        req.on('error', done);
        req.on('close', done);
      });
      if (drained !== undefined) throw netError(drained);
    }
    req.end();
  } catch (err) {
    // The source's own errors (a digest or size mismatch) pass through unchanged.
    req.destroy();
    throw err;
  }
  let res: IncomingMessage;
  try {
    res = await answered;
  } catch (err) {
    throw netError(err);
  }
  try {
    // The same Response node-get gives: status and headers, the body kept a Node stream
    // (http-body.ts reads and discards both kinds).
    return new StreamedResponse(res);
  } catch (err) {
    res.destroy();
    throw err;
  }
}
