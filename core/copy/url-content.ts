/**
 * The content behind an `ADD <url>`, as the cache key needs it: BuildKit keys an http source
 * by what it downloads, not by the URL's text, so a file that changed on the server makes
 * the ADD miss. Each build asks the server once per URL, conditionally: the validators of
 * the last download (ETag, Last-Modified) are kept in the store's meta files with the
 * digest, the body itself as a store blob, so an unchanged file answers 304 and is not
 * downloaded again; a changed one is downloaded once, at plan time, and the executor copies
 * it from the blob (content-addressed and verified when it was stored: the very bytes the
 * key was made from).
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IngestWriter } from '../../store/ingest-writer.js';
import type { Digest } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';
import { fetchWithTrust } from '../registry/tls-trust.js';

/** What the fetcher needs of the store (store/Store has it). */
export interface UrlStore {
  readMeta(name: string): Promise<Uint8Array | undefined>;
  writeMeta(name: string, data: string): Promise<void>;
  hasBlob(d: Digest): Promise<boolean>;
  blobPath(d: Digest): string;
  ingest(): Promise<IngestWriter>;
}

export interface UrlContent {
  url: string;
  digest: Digest;
  size: number;
  /** The Last-Modified header of the download (it sets the file's mtime), if any. */
  lastModified?: string;
  /** Where the bytes are: a store blob. */
  file: string;
}

interface Validators {
  url: string;
  digest: Digest;
  size: number;
  etag?: string;
  lastModified?: string;
}

export interface UrlFetcherOptions {
  /** Largest body accepted (default 8 GiB). */
  maxBytes?: number;
  /** Whole-request timeout in ms (default 10 minutes). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * The meta file holding `href`'s validators: a pure cache (core/gc/meta-caches.ts removes it
 * after a week unused; losing it costs one unconditional download, whose blob is then found).
 */
export function urlValidatorsName(href: string): string {
  return `http-${createHash('sha256').update(href).digest('hex')}`;
}

/** Resolves URLs to content, once per URL for the fetcher's life (one build). */
export class UrlFetcher {
  readonly #store: UrlStore;
  readonly #opts: UrlFetcherOptions;
  readonly #memo = new Map<string, Promise<UrlContent>>();

  constructor(store: UrlStore, opts: UrlFetcherOptions = {}) {
    this.#store = store;
    this.#opts = opts;
  }

  resolve(url: string): Promise<UrlContent> {
    let p = this.#memo.get(url);
    if (!p) {
      p = this.#fetch(url);
      this.#memo.set(url, p);
    }
    return p;
  }

  async #fetch(raw: string): Promise<UrlContent> {
    const url = new URL(raw);
    const meta = urlValidatorsName(url.href);
    const known = await this.#readValidators(meta, url.href);
    const headers: Record<string, string> = {};
    if (known?.etag) headers['if-none-match'] = known.etag;
    if (known?.lastModified) headers['if-modified-since'] = known.lastModified;
    const res = await (this.#opts.fetch ?? fetchWithTrust)(url, {
      headers,
      redirect: 'follow',
      signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 600_000),
    }).catch((err) => {
      throw new InvalidInputError(`add: GET ${url.href}: ${(err as Error).message}`, { cause: err });
    });
    if (res.status === 304 && known) {
      await res.body?.cancel();
      const { etag, lastModified, ...rest } = known;
      return {
        ...rest,
        ...(lastModified ? { lastModified } : {}),
        file: this.#store.blobPath(known.digest),
      };
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new InvalidInputError(`add: GET ${url.href}: ${res.status} ${res.statusText}`);
    }
    const { digest, size } = await this.#ingest(url, res.body);
    const v: Validators = { url: url.href, digest, size };
    const etag = res.headers.get('etag');
    const lastModified = res.headers.get('last-modified');
    if (etag) v.etag = etag;
    if (lastModified) v.lastModified = lastModified;
    await this.#store.writeMeta(meta, JSON.stringify(v));
    return {
      url: url.href,
      digest,
      size,
      ...(lastModified ? { lastModified } : {}),
      file: this.#store.blobPath(digest),
    };
  }

  /** The last download's validators, if its blob is still in the store. */
  async #readValidators(meta: string, href: string): Promise<Validators | undefined> {
    const raw = await this.#store.readMeta(meta);
    if (!raw) return undefined;
    try {
      const v = JSON.parse(Buffer.from(raw).toString('utf8')) as Validators;
      if (v.url !== href || !(await this.#store.hasBlob(v.digest))) return undefined;
      return v;
    } catch {
      return undefined; // a cache: unreadable means absent
    }
  }

  async #ingest(url: URL, body: ReadableStream<Uint8Array>): Promise<{ digest: Digest; size: number }> {
    const max = this.#opts.maxBytes ?? 8 * 2 ** 30;
    let size = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > max) done(new InvalidInputError(`add: GET ${url.href}: body larger than ${max} bytes`));
        else done(null, chunk);
      },
    });
    const w = await this.#store.ingest();
    try {
      await pipeline(
        Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>),
        limit,
        w.stream,
      );
      return await w.commit();
    } catch (err) {
      await w.abort().catch(() => {});
      if (err instanceof InvalidInputError) throw err;
      throw new InvalidInputError(`add: GET ${url.href}: ${(err as Error).message}`, { cause: err });
    }
  }
}
