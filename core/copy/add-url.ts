/**
 * ADD <http(s) URL>: the body is downloaded, never unpacked, verified against
 * `--checksum=sha256:...` when given (a mismatch writes nothing), and written as one file
 * with mode 0600 (Docker's mode for remote files), owned by --chown or root, mtime from
 * Last-Modified when the server sends one. The file name is the last segment of the URL
 * path, reduced to a safe base name ("download" when nothing usable is left, as BuildKit's
 * `SafeFileName`). The content digest is returned: it is the step's cache-key input.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileEntry } from '../context/file-entry.js';
import { type Digest, parseDigest } from '../oci/digest.js';
import { DigestMismatchError, InvalidInputError } from '../oci/errors.js';
import { fetchWithTrust } from '../registry/tls-trust.js';
import { parseChmod } from './chmod-spec.js';
import { type CopyOptions, type CopyResult, lowerDirMeta, writeEntries } from './copy-into.js';
import { planDestination } from './dest-rules.js';
import { LayerView } from './layer-view.js';
import type { UrlContent } from './url-content.js';
import { WriteTree } from './write-tree.js';

export interface AddUrlOptions extends Omit<CopyOptions, 'parents'> {
  /** `--checksum=sha256:<hex>`, or the digest the step's cache key was made from. */
  checksum?: string;
  /** The body, already fetched (at plan time): nothing is downloaded. */
  content?: Pick<UrlContent, 'file' | 'digest' | 'size' | 'lastModified'>;
  /** Largest body accepted (default 8 GiB). */
  maxBytes?: number;
  /** Whole-request timeout in ms (default 10 minutes). */
  timeoutMs?: number;
}

export interface AddUrlResult extends CopyResult {
  digest: Digest;
  fileName: string;
}

/** The file name ADD gives a URL's body. */
export function urlFileName(url: URL): string {
  let base = url.pathname.split('/').pop() ?? '';
  try {
    base = decodeURIComponent(base);
  } catch {
    // keep the raw segment
  }
  if (base === '' || base === '.' || base === '..' || base.includes('/') || /[\x00-\x1f\x7f]/.test(base))
    return 'download';
  return base;
}

export async function addUrl(
  staging: string,
  rawUrl: string,
  dest: string,
  opts: AddUrlOptions,
): Promise<AddUrlResult> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch (err) {
    throw new InvalidInputError(`add: invalid URL ${JSON.stringify(rawUrl)}`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(`add: unsupported URL scheme ${url.protocol} (http and https only)`);
  }
  const expected = opts.checksum === undefined ? undefined : parseDigest(opts.checksum);
  const tmp = await mkdtemp(path.join(path.dirname(path.resolve(staging)), '.add-url-'));
  try {
    // Content the planner already resolved (url-content.ts) is taken from its blob (copied:
    // store blobs are read-only, and the copier keeps a source's mode); else downloaded.
    const tmpBody = path.join(tmp, 'body');
    let body: Pick<UrlContent, 'file' | 'digest' | 'size' | 'lastModified'>;
    if (opts.content) {
      await copyFile(opts.content.file, tmpBody);
      await chmod(tmpBody, 0o600);
      body = { ...opts.content, file: tmpBody };
    } else body = await download(url, tmpBody, opts);
    const { file, digest, size } = body;
    if (expected !== undefined && digest !== expected) {
      throw new DigestMismatchError(
        `add: digest mismatch for ${url.href}: expected ${expected}, got ${digest}`,
      );
    }
    const lower = opts.lowerDirs ? new LayerView(opts.lowerDirs) : undefined;
    const plan = planDestination({
      dest,
      workdir: opts.workdir,
      sourceArgs: 1,
      matches: 1,
      existsAsDir: (p) => lowerDirMeta(lower, p) !== undefined,
    });
    const fileName = urlFileName(url);
    const modified = Date.parse(body.lastModified ?? '');
    const mtimeNs = BigInt(Math.round((Number.isNaN(modified) ? Date.now() : modified) * 1e6));
    const entry: FileEntry = {
      rel: '',
      abs: file,
      type: 'file',
      mode: 0o600,
      uid: 0,
      gid: 0,
      size,
      mtime: Number(mtimeNs) / 1e9,
      statKey: `0:${mtimeNs}:${mtimeNs}`,
    };
    const tree = new WriteTree(staging, {
      defaultDir: {
        mode: 0o755,
        uid: opts.chown?.uid ?? 0,
        gid: opts.chown?.gid ?? 0,
        mtime: opts.sourceDateEpoch ?? Date.now() / 1000,
      },
      existing: (p) => lowerDirMeta(lower, p),
    });
    tree.put(plan.isDir ? path.posix.join(plan.path, fileName) : plan.path, entry);
    const written = await writeEntries(tree, {
      chown: opts.chown,
      chmod: opts.chmod ? parseChmod(opts.chmod) : undefined,
      sde: opts.sourceDateEpoch,
      concurrency: 1,
    });
    return { ...written, digest, fileName };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Downloads `url` to `file`, hashing as it goes. */
async function download(
  url: URL,
  file: string,
  opts: AddUrlOptions,
): Promise<{ file: string; digest: Digest; size: number; lastModified?: string }> {
  const res = await fetchWithTrust(url, {
    redirect: 'follow',
    signal: AbortSignal.timeout(opts.timeoutMs ?? 600_000),
  }).catch((err) => {
    throw new InvalidInputError(`add: GET ${url.href}: ${(err as Error).message}`, { cause: err });
  });
  if (!res.ok || !res.body) {
    throw new InvalidInputError(`add: GET ${url.href}: ${res.status} ${res.statusText}`);
  }
  const hash = createHash('sha256');
  const max = opts.maxBytes ?? 8 * 2 ** 30;
  let size = 0;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > max)
      body.destroy(new InvalidInputError(`add: GET ${url.href}: body larger than ${max} bytes`));
    hash.update(chunk);
  });
  await pipeline(body, createWriteStream(file, { mode: 0o600 }));
  const lastModified = res.headers.get('last-modified') ?? undefined;
  return { file, digest: `sha256:${hash.digest('hex')}`, size, ...(lastModified ? { lastModified } : {}) };
}
