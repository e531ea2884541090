/**
 * ADD <http(s) URL>: the body (fetched into the store by url-content.ts, the one place
 * strata downloads an ADD URL) is never unpacked, is verified against
 * `--checksum=sha256:...` when given (a mismatch writes nothing), and is written as one file
 * with mode 0600 (Docker's mode for remote files), owned by --chown or root, mtime from
 * Last-Modified when the server sends one. The file name is the last segment of the URL
 * path, reduced to a safe base name ("download" when nothing usable is left, as BuildKit's
 * `SafeFileName`). The content digest is returned: it is the step's cache-key input.
 */
import { statSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FileEntry } from '../fs/file-entry.js';
import { LayerStack } from '../fs/layer-stack.js';
import { type Digest, parseDigest } from '../oci/digest.js';
import { DigestMismatchError, InvalidInputError } from '../oci/errors.js';
import { parseChmod } from './chmod-spec.js';
import { type CopyOptions, type CopyResult, writeEntries } from './copy-into.js';
import { destinationTree, landingPath, lowerDirMeta } from './created-dirs.js';
import { planDestination } from './dest-rules.js';
import type { UrlContent } from './url-content.js';

export interface AddUrlOptions extends Omit<CopyOptions, 'parents'> {
  /** `--checksum=sha256:<hex>`: the content must have this digest. */
  checksum?: string;
  /** `ADD --unpack=true`: a body that is an archive is unpacked into the destination. */
  unpack?: boolean;
  /** The body, fetched by a UrlFetcher (a store blob). */
  content: Pick<UrlContent, 'file' | 'digest' | 'size' | 'lastModified'>;
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
    return '__unnamed__';
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
    const body = opts.content;
    if (expected !== undefined && body.digest !== expected) {
      throw new DigestMismatchError(
        `add: digest mismatch for ${url.href}: expected ${expected}, got ${body.digest}`,
      );
    }
    // Copied out of the blob: store blobs are read-only, and the copier keeps a source's mode.
    const file = path.join(tmp, 'body');
    await copyFile(body.file, file);
    await chmod(file, 0o600);
    const { digest, size } = body;
    const fileName = urlFileName(url);
    if (opts.unpack === true) {
      const { detectArchive } = await import('./archive-detect.js');
      const kind = await detectArchive(file);
      if (kind) {
        const { unpackArchives } = await import('./add-into.js');
        const r = await unpackArchives(staging, [{ file, kind }], dest, opts);
        return { ...r, linked: [], digest, fileName };
      }
    }
    const lower = opts.lowerDirs ? new LayerStack(opts.lowerDirs) : undefined;
    const plan = planDestination({
      dest,
      workdir: opts.workdir,
      sourceArgs: 1,
      matches: 1,
      existsAsDir: (p) => lowerDirMeta(lower, p) !== undefined,
    });
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
      // The download's own inode: the copier opens it as a walked file (core/fs/open-walked.ts).
      statKey: `${statSync(file, { bigint: true }).ino}:${mtimeNs}:${mtimeNs}`,
    };
    const tree = destinationTree(staging, lower, opts);
    const landing = landingPath(lower, plan.path);
    tree.put(plan.isDir ? path.posix.join(landing, fileName) : landing, entry);
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
