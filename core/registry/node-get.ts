/**
 * nodeGet: a fetch-shaped GET (or HEAD) over node:http(s) whose body stays a Node stream.
 * Node 20's fetch hands a body over as a WHATWG stream, and turning that back into a Node
 * stream costs: a 192 MiB blob from a local registry took 460-560 ms of CPU through
 * fetch + Readable.fromWeb, 290-300 ms through http.get (64 KiB chunks either way). Blob
 * downloads are CPU-bound on the main thread (hashing, gunzip, tar), so that is wall time.
 *
 * The Response it resolves is a StreamedResponse: status and headers as fetch gives them,
 * `body` null, and the bytes in `nodeBody`; bodyStream()/discardBody() (http-body.ts) know
 * both kinds. No redirects are followed (callers follow them by hand), no request body is
 * sent, and a connection idle for 5 minutes fails (undici's default body timeout).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { InternalError } from '../oci/errors.js';
import { tlsTrustOptions } from './tls-trust.js';

const IDLE_MS = 300_000;

/** A fetch Response whose body is a Node stream (`nodeBody`); `body` is always null. */
export class StreamedResponse extends Response {
  readonly #body: IncomingMessage;

  constructor(res: IncomingMessage) {
    const headers = new Headers();
    const raw = res.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    // The reason phrase is informational; one Response would refuse must not fail the request.
    const statusText = /^[\t\x20-\x7e\x80-\xff]*$/.test(res.statusMessage ?? '')
      ? (res.statusMessage ?? '')
      : '';
    super(null, { status: res.statusCode ?? 0, statusText, headers });
    this.#body = res;
  }

  /** The response bytes; the reader owns it (read it to the end, or destroy it). */
  get nodeBody(): Readable {
    return this.#body;
  }
}

export const nodeGet = ((input: string | URL, init: RequestInit = {}): Promise<Response> => {
  const method = init.method ?? 'GET';
  if ((method !== 'GET' && method !== 'HEAD') || init.body !== undefined) {
    return Promise.reject(new InternalError(`node get: only bodiless GET/HEAD, not ${method}`));
  }
  const url = typeof input === 'string' ? new URL(input) : input;
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  const https = url.protocol === 'https:';
  const trust = https ? tlsTrustOptions() : {};
  const opts = { method, headers, timeout: IDLE_MS, ...trust };
  return new Promise<Response>((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(url, opts, (res) => {
      try {
        resolve(new StreamedResponse(res));
      } catch (err) {
        // Response refuses what fetch would have refused too (a status outside 200-599).
        res.destroy();
        reject(err);
      }
    });
    // Once the response is there, destroying the request fails its body read (`aborted`).
    req.on('timeout', () => req.destroy(timeoutError()));
    req.on('error', reject); // a no-op after the response resolved
    req.end();
  });
}) as typeof fetch;

function timeoutError(): Error {
  return Object.assign(new Error(`no data for ${IDLE_MS / 1000} s`), { code: 'ETIMEDOUT' });
}
