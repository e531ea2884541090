/**
 * A tiny registry for unit tests: an http server on 127.0.0.1 serving manifests and blobs
 * from maps, with Range support, a request log, and a `hook` that a test sets to misbehave
 * (wrong bytes, cut connections, endless 401s). Also builds small real images to serve.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { type Digest, sha256 } from '../../../core/oci/digest.js';
import { MediaType } from '../../../core/oci/media-types.js';
import type { Store } from '../../../store/index.js';

export interface Served {
  bytes: Buffer;
  contentType: string;
}

export type Hook = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export class FakeRegistry {
  readonly manifests = new Map<string, Served>();
  readonly blobs = new Map<string, Buffer>();
  readonly log: { method: string; path: string; headers: IncomingMessage['headers'] }[] = [];
  hook: Hook | undefined;
  readonly #server: Server;
  host = '';

  private constructor() {
    this.#server = createServer((req, res) => {
      void this.#handle(req, res).catch((err) => {
        res.destroy(err as Error);
      });
    });
  }

  static async start(): Promise<FakeRegistry> {
    const r = new FakeRegistry();
    await new Promise<void>((resolve) => r.#server.listen(0, '127.0.0.1', resolve));
    r.host = `127.0.0.1:${(r.#server.address() as { port: number }).port}`;
    return r;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    this.log.push({ method: req.method ?? '', path: url.pathname, headers: req.headers });
    if (this.hook && (await this.hook(req, res, url))) return;
    if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (m === null) return void res.writeHead(404).end();
    const [, repo, kind, ref] = m;
    if (kind === 'manifests') {
      const doc = this.manifests.get(`${repo}:${ref}`) ?? this.manifests.get(`${repo}@${ref}`);
      if (doc === undefined) return notFound(res, 'MANIFEST_UNKNOWN');
      res.writeHead(200, {
        'content-type': doc.contentType,
        'content-length': doc.bytes.length,
        'docker-content-digest': sha256(doc.bytes),
      });
      return void res.end(req.method === 'HEAD' ? undefined : doc.bytes);
    }
    const blob = this.blobs.get(ref);
    if (blob === undefined) return notFound(res, 'BLOB_UNKNOWN');
    serveBytes(req, res, blob);
  }

  /** Serves `img` under `repo:tag` (and by digest). */
  serve(repo: string, tag: string, img: TestImage): void {
    for (const [d, b] of img.blobs) this.blobs.set(d, b);
    const served = { bytes: img.manifestBytes, contentType: img.manifestType };
    this.manifests.set(`${repo}:${tag}`, served);
    this.manifests.set(`${repo}@${img.manifestDigest}`, served);
  }
}

/** 200 with the whole blob, or 206 from a `Range: bytes=N-` offset. */
export function serveBytes(req: IncomingMessage, res: ServerResponse, blob: Buffer): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range !== null) {
    const start = Number(range[1]);
    res.writeHead(206, {
      'content-length': blob.length - start,
      'content-range': `bytes ${start}-${blob.length - 1}/${blob.length}`,
    });
    return void res.end(req.method === 'HEAD' ? undefined : blob.subarray(start));
  }
  res.writeHead(200, { 'content-length': blob.length, 'content-type': 'application/octet-stream' });
  res.end(req.method === 'HEAD' ? undefined : blob);
}

function notFound(res: ServerResponse, code: string): void {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ code, message: code.toLowerCase() }] }));
}

export interface TestLayer {
  tar: Buffer;
  gz: Buffer;
  diffId: Digest;
  digest: Digest;
}

/** A real layer: a dir with `files` tarred by writeLayerTar, then gzipped. */
export async function makeLayer(files: Record<string, string | Buffer>): Promise<TestLayer> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-reg-layer-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    });
    const { diffId } = await writeLayerTar(dir, sink);
    const tar = Buffer.concat(chunks);
    const gz = gzipSync(tar);
    return { tar, gz, diffId, digest: sha256(gz) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface TestImage {
  layers: TestLayer[];
  configBytes: Buffer;
  configDigest: Digest;
  manifest: Record<string, unknown>;
  manifestBytes: Buffer;
  manifestDigest: Digest;
  manifestType: string;
  blobs: Map<string, Buffer>;
}

/** An image of `layers`; `patch` edits the config or manifest objects before they are hashed. */
export function makeImage(
  layers: TestLayer[],
  patch: {
    config?: (c: Record<string, unknown>) => void;
    manifest?: (m: Record<string, unknown>) => void;
    arch?: string;
  } = {},
): TestImage {
  const config: Record<string, unknown> = {
    architecture: patch.arch ?? 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  };
  patch.config?.(config);
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = sha256(configBytes);
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.dockerManifest,
    config: { mediaType: MediaType.dockerConfig, digest: configDigest, size: configBytes.length },
    layers: layers.map((l) => ({
      mediaType: MediaType.dockerLayerGzip,
      digest: l.digest,
      size: l.gz.length,
    })),
  };
  patch.manifest?.(manifest);
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const blobs = new Map<string, Buffer>([[configDigest, configBytes]]);
  for (const l of layers) blobs.set(l.digest, l.gz);
  return {
    layers,
    configBytes,
    configDigest,
    manifest,
    manifestBytes,
    manifestDigest: sha256(manifestBytes),
    manifestType: (manifest.mediaType as string | undefined) ?? MediaType.dockerManifest,
    blobs,
  };
}

/** Everything a pull could leave behind: blobs, layer dirs (staging ones too), ingest files, refs. */
export async function storeSnapshot(store: Store): Promise<Record<string, string[]>> {
  const ls = async (sub: string) => (await readdir(join(store.root, sub))).sort();
  return {
    blobs: await ls('blobs/sha256'),
    layers: await ls('layers'),
    ingest: await ls('ingest'),
    refs: await ls('refs'),
  };
}
