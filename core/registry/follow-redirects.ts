/**
 * One HTTP exchange with redirects followed by hand (fetch's own following would carry
 * `Authorization` wherever the registry points, formats.md 5.2): at most 5 hops, never to
 * plain http on a host that is not allowed it, Authorization dropped once the origin changes
 * (blob GETs are often sent to a CDN or signed storage URL), and never with a request body.
 * Network failures become retryable RegistryErrors naming the method and URL.
 */
import { discardBody } from './http-body.js';
import { RegistryError } from './registry-error.js';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export async function followRedirects(
  fetchFn: typeof fetch,
  start: URL,
  method: string,
  headers: Record<string, string>,
  body: (() => Uint8Array | string | AsyncIterable<Uint8Array>) | undefined,
  allowsHttp: (host: string) => boolean,
): Promise<Response> {
  let url = start;
  let m = method;
  const hdrs = { ...headers };
  for (let hop = 0; ; hop++) {
    let resp: Response;
    try {
      const b = body?.();
      resp = await fetchFn(url, {
        method: m,
        headers: hdrs,
        redirect: 'manual',
        ...(b !== undefined ? { body: b as BodyInit, duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      const detail = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new RegistryError(`${m} ${url.origin}${url.pathname}: ${detail}`, {
        cause: err,
        retryable: true,
      });
    }
    if (!REDIRECTS.has(resp.status)) return resp;
    const location = resp.headers.get('location');
    await discardBody(resp);
    if (location === null)
      throw new RegistryError(`${m} ${url.pathname}: ${resp.status} redirect without Location`);
    if (body !== undefined)
      throw new RegistryError(`${m} ${url.pathname}: refusing to follow a redirect with a body`);
    if (hop >= MAX_REDIRECTS)
      throw new RegistryError(`${m} ${start.pathname}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, url);
    if (next.protocol !== 'https:' && !(next.protocol === 'http:' && allowsHttp(next.host))) {
      throw new RegistryError(`${m} ${start.pathname}: refusing redirect to ${next.origin} (not https)`);
    }
    if (next.origin !== url.origin) delete hdrs.authorization;
    if (resp.status === 303 && m !== 'HEAD') m = 'GET';
    url = next;
  }
}
