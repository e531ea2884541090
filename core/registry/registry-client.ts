/**
 * RegistryClient: one registry host spoken to over the OCI distribution API (formats.md 5)
 * with Node's fetch. It owns what every request needs: the scheme (https; plain http only for
 * loopback hosts and `insecureRegistries`), auth (see authenticator.ts), redirects followed by
 * hand so `Authorization` never leaves the registry's origin, and bounded retries. The
 * operations here are small (ping, manifests, HEAD/GET of small blobs, tags); streaming blob
 * transfers live in blob-download.ts and blob-upload.ts and use send()/retrying().
 */
import { type Digest, isDigest, sha256 } from '../oci/digest.js';
import { DigestMismatchError, NotFoundError } from '../oci/errors.js';
import { MediaType } from '../oci/media-types.js';
import type { Descriptor } from '../oci/types.js';
import { Authenticator } from './authenticator.js';
import { type Credentials, readCredentials } from './credentials.js';
import { followRedirects } from './follow-redirects.js';
import { discardBody, readBodyLimited, responseError } from './http-body.js';
import { type ManifestDocument, parseManifestDocument } from './manifest-document.js';
import { nodeGet } from './node-get.js';
import { isRetryable, RegistryError } from './registry-error.js';
import { speaksTls } from './speaks-tls.js';
import { fetchWithTrust } from './tls-trust.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

export interface RegistryClientOptions {
  /** Hosts (`host` or `host:port`) that may be spoken to over plain http. */
  insecureRegistries?: readonly string[];
  /** Explicit credentials; `null` means anonymous. Default: the Docker config file's. */
  credentials?: Credentials | null;
  /** Environment for finding the Docker config file (HOME, DOCKER_CONFIG). */
  env?: NodeJS.ProcessEnv;
  /** Injected fetch (tests); default the global one. */
  fetch?: typeof fetch;
  /** Tries per idempotent operation, the first included (default 3). */
  tries?: number;
  /** First back-off delay in ms, doubled each retry (default 250). */
  retryDelayMs?: number;
  /** Largest manifest or index accepted (default 4 MiB). */
  maxManifestBytes?: number;
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path starting `/v2/`, or an absolute URL on this registry (an upload location). */
  url: string | URL;
  /** Repository the request is about: its scope goes into the token request. */
  repo?: string;
  actions?: 'pull' | 'pull,push';
  /** More token scopes (a cross-repo mount needs pull on the source). */
  extraScopes?: string[];
  headers?: Record<string, string>;
  /** A body factory: a request refused with 401 is sent again with a fresh body. */
  body?: () => Uint8Array | string | AsyncIterable<Uint8Array>;
}

export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
].join(', ');

/** Docker Hub's API host differs from its name in references (formats.md 5.6). */
export function apiHost(domain: string): string {
  return domain === 'docker.io' || domain === 'index.docker.io' ? 'registry-1.docker.io' : domain;
}

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** OpenSSL's verification failures as Node reports them (on the error or, from fetch, its cause). */
const CERT_ERRORS =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID)$/;

function untrustedCertificate(err: unknown): string | undefined {
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 4;
    e = e.cause as typeof e, i++
  ) {
    if (typeof e.code === 'string' && CERT_ERRORS.test(e.code)) return e.code;
  }
  return undefined;
}

export class RegistryClient {
  /** The registry as references name it: `docker.io`, `localhost:5000`. */
  readonly domain: string;
  /** The host requests go to: `registry-1.docker.io`, `localhost:5000`. */
  readonly host: string;
  readonly #fetch: typeof fetch;
  /**
   * For bodiless GET/HEAD (pings, manifests, blobs): node:http (node-get.ts), whose bodies
   * stay Node streams (cheaper per chunk than fetch's web streams) and which does not load
   * undici (~30-100 ms of an anonymous pull's start-up). An injected `fetch` is used instead.
   */
  readonly #getFetch: typeof fetch;
  readonly #insecure: Set<string>;
  readonly #auth: Authenticator;
  readonly #tries: number;
  readonly #delay: number;
  readonly maxManifestBytes: number;
  #origin: Promise<string> | undefined;

  constructor(domain: string, credentials: Credentials | undefined, opts: RegistryClientOptions = {}) {
    this.domain = domain;
    this.host = apiHost(domain);
    this.#fetch = opts.fetch ?? fetchWithTrust;
    this.#getFetch = opts.fetch ?? nodeGet;
    this.#insecure = new Set((opts.insecureRegistries ?? []).map((h) => h.toLowerCase()));
    this.#tries = Math.max(1, opts.tries ?? 3);
    this.#delay = opts.retryDelayMs ?? 250;
    this.maxManifestBytes = opts.maxManifestBytes ?? 4 * 1024 * 1024;
    this.#auth = new Authenticator({
      host: this.host,
      ...(credentials !== undefined ? { credentials } : {}),
      fetch: this.#fetch,
      allowHttp: (h) => this.allowsHttp(h),
    });
  }

  /** A client with the credentials `opts` names, else those in the Docker config file. */
  static async create(domain: string, opts: RegistryClientOptions = {}): Promise<RegistryClient> {
    const creds =
      opts.credentials === null ? undefined : (opts.credentials ?? (await readCredentials(domain, opts.env)));
    return new RegistryClient(domain, creds, opts);
  }

  /** Plain http is allowed for loopback hosts and hosts listed as insecure (with or without port). */
  allowsHttp(host: string): boolean {
    const h = host.toLowerCase();
    const hostname = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.split(':')[0];
    return isLoopback(hostname) || this.#insecure.has(h) || this.#insecure.has(hostname);
  }

  /**
   * `https://host`, or `http://host` when http is allowed and https does not answer at all
   * (Docker tries https first for insecure registries too). Decided once per client.
   */
  origin(): Promise<string> {
    this.#origin ??= (async () => {
      const https = `https://${this.host}`;
      if (!this.allowsHttp(this.host)) return https;
      // Most such registries speak plain http: ask cheaply first (speaks-tls.ts), and pay
      // for the trusted probe below only when there is a handshake to judge.
      if (this.#getFetch === nodeGet && !(await speaksTls(this.host))) return `http://${this.host}`;
      try {
        const resp = await this.#getFetch(`${https}/v2/`, { method: 'GET', redirect: 'manual' });
        await discardBody(resp);
        return https;
      } catch (err) {
        // A server that answers TLS with a certificate we do not trust does speak https:
        // falling back to http would only turn that into a confusing protocol error.
        const code = untrustedCertificate(err);
        if (code !== undefined) {
          throw new RegistryError(
            `connect to ${this.host}: its TLS certificate is not trusted (${code}); add its CA to NODE_EXTRA_CA_CERTS`,
            { cause: err },
          );
        }
        return `http://${this.host}`;
      }
    })();
    return this.#origin;
  }

  async url(pathOrUrl: string | URL): Promise<URL> {
    return new URL(pathOrUrl, await this.origin());
  }

  /**
   * Sends one request with auth and redirects handled; any final status is returned for the
   * caller to judge, except 401 which is answered here: the challenge is learnt and the
   * request repeated once with a fresh token (or the credentials); refused again, it is a
   * RegistryError rather than a loop. Network failures are retryable RegistryErrors.
   */
  async send(req: RegistryRequest): Promise<Response> {
    const scopes = req.repo === undefined ? [] : [`repository:${req.repo}:${req.actions ?? 'pull'}`];
    scopes.push(...(req.extraScopes ?? []));
    const url = await this.url(req.url);
    const what = `${req.method} ${url.pathname}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const auth = await this.#auth.header(scopes);
      const headers: Record<string, string> = { ...req.headers };
      if (auth !== undefined) headers.authorization = auth.value;
      const bodiless = req.body === undefined && (req.method === 'GET' || req.method === 'HEAD');
      const transport = bodiless ? this.#getFetch : this.#fetch;
      const resp = await followRedirects(transport, url, req.method, headers, req.body, (h) =>
        this.allowsHttp(h),
      );
      if (resp.status !== 401) return resp;
      const header = resp.headers.get('www-authenticate');
      await discardBody(resp);
      const challenge = parseWwwAuthenticate(header ?? '').find(
        (c) => c.scheme === 'bearer' || c.scheme === 'basic',
      );
      if (challenge === undefined) {
        throw new RegistryError(`${what}: 401 unauthorized without a bearer or basic challenge`, {
          status: 401,
        });
      }
      if (auth?.fresh) {
        const kind = this.#auth.scheme === 'basic' ? 'the credentials' : 'a freshly issued token';
        throw new RegistryError(
          `authenticate to ${this.host}: ${what} refused (401) with ${kind}; not retrying (no access, or the token server and registry disagree)`,
          { status: 401 },
        );
      }
      this.#auth.learn(challenge, scopes);
    }
    throw new RegistryError(`authenticate to ${this.host}: ${what} still unauthorized after renewing auth`, {
      status: 401,
    });
  }

  /**
   * The Authorization header value send() would use now for `repo` (after a request on the
   * same scope has learnt the challenge), for requests made outside send(): streamRequest.
   */
  async authorization(repo: string, actions: 'pull' | 'pull,push'): Promise<string | undefined> {
    return (await this.#auth.header([`repository:${repo}:${actions}`]))?.value;
  }

  /**
   * Runs `fn` up to `tries` times while it fails with a retryable error (network, 5xx, 429),
   * waiting retryDelayMs, then twice that, ... between tries. The last failure is wrapped in
   * a RegistryError naming `what` and the number of tries.
   */
  async retrying<T>(what: string, fn: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (err) {
        if (!isRetryable(err)) throw err;
        if (attempt >= this.#tries) {
          throw new RegistryError(`${what}: failed after ${attempt} tries: ${(err as Error).message}`, {
            cause: err,
          });
        }
        await new Promise((r) => setTimeout(r, this.#delay * 2 ** (attempt - 1)));
      }
    }
  }

  /** GET /v2/: resolves when the registry answers as a registry (200, or 401 = auth needed). */
  async ping(): Promise<void> {
    await this.retrying(`ping ${this.host}`, async () => {
      const url = await this.url('/v2/');
      const resp = await followRedirects(this.#getFetch, url, 'GET', {}, undefined, (h) =>
        this.allowsHttp(h),
      );
      const header = resp.headers.get('www-authenticate');
      if (resp.status === 401) {
        const ch = parseWwwAuthenticate(header ?? '').find(
          (c) => c.scheme === 'bearer' || c.scheme === 'basic',
        );
        if (ch !== undefined) this.#auth.learn(ch, []);
      }
      if (resp.status !== 200 && resp.status !== 401) throw await responseError(resp, `ping ${this.host}`);
      await discardBody(resp);
    });
  }

  /** Pings, then proves the credentials work (a token for no scope, or Basic on /v2/). */
  async checkLogin(): Promise<void> {
    await this.ping();
    const resp = await this.send({ method: 'GET', url: '/v2/' });
    if (!resp.ok) throw await responseError(resp, `log in to ${this.host}`);
    await discardBody(resp);
  }

  /**
   * Fetches and checks a manifest or index by tag or digest (see manifest-document.ts for
   * every check). `expected` is the digest a descriptor promised; a digest reference is its
   * own expectation. NotFoundError when the registry does not know it.
   */
  async getManifest(repo: string, reference: string, expected?: Digest): Promise<ManifestDocument> {
    const exp = expected ?? (isDigest(reference) ? reference : undefined);
    const what = `${this.domain}/${repo}${isDigest(reference) ? '@' : ':'}${reference}`;
    return this.retrying(`fetch manifest ${what}`, async () => {
      const resp = await this.send({
        method: 'GET',
        url: `/v2/${repo}/manifests/${reference}`,
        repo,
        headers: { accept: MANIFEST_ACCEPT, 'accept-encoding': 'identity' },
      });
      if (resp.status === 404) {
        const e = await responseError(resp, `fetch manifest ${what}`);
        throw new NotFoundError(`fetch manifest ${what}: not found in the registry`, { cause: e });
      }
      if (!resp.ok) throw await responseError(resp, `fetch manifest ${what}`);
      const max = this.maxManifestBytes;
      const bytes = await readBodyLimited(
        resp,
        max,
        (n) => new RegistryError(`fetch manifest ${what}: ${n} bytes is over the ${max}-byte limit`),
      );
      return parseManifestDocument(
        bytes,
        resp.headers.get('content-type'),
        what,
        exp,
        resp.headers.get('docker-content-digest'),
      );
    });
  }

  /** PUTs manifest bytes under a tag or digest; returns their digest (checked against the registry's). */
  async putManifest(repo: string, reference: string, mediaType: string, bytes: Buffer): Promise<Digest> {
    const digest = sha256(bytes);
    const what = `push manifest ${this.domain}/${repo}:${reference}`;
    return this.retrying(what, async () => {
      const resp = await this.send({
        method: 'PUT',
        url: `/v2/${repo}/manifests/${reference}`,
        repo,
        actions: 'pull,push',
        headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
        body: () => bytes,
      });
      if (resp.status !== 201 && resp.status !== 200 && resp.status !== 202)
        throw await responseError(resp, what);
      const said = resp.headers.get('docker-content-digest');
      await discardBody(resp);
      if (said && isDigest(said) && said !== digest) {
        throw new DigestMismatchError(`${what}: registry stored ${said}, strata sent ${digest}`);
      }
      return digest;
    });
  }

  /** HEAD /v2/<repo>/blobs/<digest>: whether the registry has it (in that repository). */
  async hasBlob(repo: string, digest: Digest, actions: 'pull' | 'pull,push' = 'pull'): Promise<boolean> {
    const what = `check blob ${this.domain}/${repo}@${digest}`;
    return this.retrying(what, async () => {
      const resp = await this.send({ method: 'HEAD', url: `/v2/${repo}/blobs/${digest}`, repo, actions });
      await discardBody(resp);
      if (resp.status === 200) return true;
      if (resp.status === 404) return false;
      throw await responseError(resp, what);
    });
  }

  /** A small blob (a config) read whole, limited to `max` bytes and verified by digest and size. */
  async readBlob(repo: string, desc: Descriptor, max = 16 * 1024 * 1024): Promise<Buffer> {
    const what = `fetch blob ${this.domain}/${repo}@${desc.digest}`;
    if (desc.size > max) throw new RegistryError(`${what}: ${desc.size} bytes is over the ${max}-byte limit`);
    const bytes = await this.retrying(what, async () => {
      const resp = await this.send({
        method: 'GET',
        url: `/v2/${repo}/blobs/${desc.digest}`,
        repo,
        headers: { 'accept-encoding': 'identity' },
      });
      if (resp.status === 404) throw new NotFoundError(`${what}: not found in the registry`);
      if (!resp.ok) throw await responseError(resp, what);
      return readBodyLimited(
        resp,
        desc.size,
        (n) => new DigestMismatchError(`${what}: ${n} bytes, more than the ${desc.size} its descriptor says`),
      );
    });
    if (bytes.length !== desc.size) {
      throw new DigestMismatchError(`${what}: got ${bytes.length} bytes, its descriptor says ${desc.size}`);
    }
    const got = sha256(bytes);
    if (got !== desc.digest) throw new DigestMismatchError(`${what}: content is ${got}`);
    return bytes;
  }

  /** GET /v2/<repo>/tags/list (first page only). */
  async listTags(repo: string): Promise<string[]> {
    const what = `list tags of ${this.domain}/${repo}`;
    return this.retrying(what, async () => {
      const resp = await this.send({ method: 'GET', url: `/v2/${repo}/tags/list`, repo });
      if (!resp.ok) throw await responseError(resp, what);
      const body = await readBodyLimited(
        resp,
        4 * 1024 * 1024,
        () => new RegistryError(`${what}: answer too large`),
      );
      const tags = (JSON.parse(body.toString('utf8')) as { tags?: unknown }).tags;
      return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
    });
  }
}
