/**
 * Store: strata's state on disk, laid out like Docker's so people can look (see
 * ARCHITECTURE.md "The store on disk"):
 *   blobs/sha256/<hex>   ingest/ (and scratch files)   layers/<chainid-hex>/   cache/<key-hex>.json
 *   refs/<name>.json     cachemounts/<sha256(id)-hex>/      locks/<name>/   meta/<name>
 * Several strata processes may share one store at once. Everything that becomes visible is
 * written to a temp name, fsynced and renamed; blob and layer writes are idempotent (success
 * means "present"); temp entries name their owner process and are swept by open() once it
 * has died. The store knows nothing of Dockerfiles.
 */
import { once } from 'node:events';
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import {
  type Digest,
  digestHex,
  InvalidInputError,
  NotFoundError,
  parseDigest,
  sha256,
} from '../core/oci/index.js';
import { writeFileAtomic, writeFileAtomicPieces } from './atomic-file.js';
import { type BlobStore, parseJsonBlob } from './blob-store.js';
import { type CacheMountInfo, type CacheMountInit, CacheMounts, type CacheMountUse } from './cache-mounts.js';
import { CacheRecords } from './cache-records.js';
import { dirSize } from './dir-size.js';
import { acquire, type Lock, tryAcquire } from './file-lock.js';
import { isNotFound, mapNoSpace } from './fs-errors.js';
import { exists, removeFile } from './fs-presence.js';
import { FileIngestWriter, type IngestWriter } from './ingest-writer.js';
import { type CommitLayerInfo, LayerDirs, TAR_SPLIT } from './layer-dirs.js';
import type { CompressedLayer, LayerRecord } from './layer-record.js';
import { ownedName } from './process-owner.js';
import { RefFiles } from './ref-files.js';
import type { RefTarget } from './ref-target.js';
import { decodeName, encodeName } from './safe-name.js';
import { deadOrUnowned, type SweepResult, sweepStale } from './stale-sweep.js';
import { openVerified, verifyDigest } from './verified-read.js';

export interface DiskUsage {
  layers: { chainId: Digest; size: number }[];
  blobs: { digest: Digest; size: number }[];
  cacheRecords: number;
  cacheMounts: CacheMountInfo[];
  /** Every file in meta/ (build reports, the step index, stat caches, ...). */
  meta: MetaFileInfo[];
}

/** One file in meta/ as listMeta sees it. */
export interface MetaFileInfo {
  name: string;
  size: number;
  mtimeMs: number;
  /** Last read, as far as the filesystem keeps it (relatime: at most a day behind; noatime: never moved). */
  atimeMs: number;
}

const SUBDIRS = [
  'blobs/sha256',
  'ingest',
  'layers',
  'cache',
  'refs',
  'cachemounts',
  'locks',
  'meta',
  'builds',
];
const HEX64 = /^[0-9a-f]{64}$/;

/** A blob written into ingest/, not yet published (Store.stageBlob). */
export interface StagedBlob {
  readonly digest: Digest;
  /** Publishes it into blobs/ (verified against `digest`). */
  publish(): Promise<Digest>;
  /** Removes the staged bytes; nothing is published. */
  discard(): Promise<void>;
}

/** How many bytes of a document's pieces may wait to be written (stageBlobPieces). */
const PIECES_QUEUED = 1 << 20;

/** What readMetaPieces reads at a time. */
const META_PIECE = 4 << 20;

export class Store implements BlobStore {
  readonly root: string;
  readonly #layers: LayerDirs;
  readonly #mounts: CacheMounts;
  readonly #refs: RefFiles;
  readonly #cache: CacheRecords;
  #opened: SweepResult = { removed: [], unmounted: [], kept: [] };
  #buildCandidates: string[] = [];

  private constructor(root: string) {
    this.root = root;
    const lock = (name: string) => this.lock(name);
    this.#layers = new LayerDirs(join(root, 'layers'), lock);
    this.#mounts = new CacheMounts(join(root, 'cachemounts'), lock);
    this.#refs = new RefFiles(join(root, 'refs'));
    this.#cache = new CacheRecords(join(root, 'cache'));
  }

  /**
   * Opens (creating if needed, mode 0700) the store at `root`, else defaultRoot(env), and
   * sweeps temp entries (ingest files, staging dirs, `.tmp-` files) whose owner has died.
   */
  static async open(root?: string, env: NodeJS.ProcessEnv = process.env): Promise<Store> {
    const dir = resolve(root ?? Store.defaultRoot(env));
    try {
      for (const sub of SUBDIRS) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
    } catch (err) {
      // A root the user cannot write (or a file in the way) is their input, not a bug.
      const code = (err as NodeJS.ErrnoException).code;
      if (
        code === 'EACCES' ||
        code === 'EPERM' ||
        code === 'EROFS' ||
        code === 'ENOTDIR' ||
        code === 'EEXIST'
      ) {
        throw new InvalidInputError(
          `open store ${dir}: ${code}: cannot create or write it (choose another with --root or STRATA_ROOT)`,
          { cause: err },
        );
      }
      throw mapNoSpace(err, `open store ${dir}`);
    }
    const store = new Store(dir);
    store.#opened = await store.sweepTemp();
    store.#buildCandidates = await deadOrUnowned(join(dir, 'builds'));
    return store;
  }

  /** What open() swept: temp entries of dead processes removed, or kept under a mount. */
  get openSweep(): SweepResult {
    return this.#opened;
  }

  /**
   * builds/ entries that open() found without a live owner in their name (dead, or named
   * another way). open() removes none: a build dir may hold a running container and its
   * mounts, which core/exec/build-dirs.ts undoes first. Empty means nothing to clean.
   */
  get deadBuildCandidates(): readonly string[] {
    return this.#buildCandidates;
  }

  /**
   * Removes temp entries (ingest files, staging and trash dirs, `.tmp-` files) whose owner
   * died, unmounting first whatever is mounted under them; keeps (and reports) those a mount
   * still needs. Names in the result are store-relative (`layers/.staging-...`).
   */
  async sweepTemp(): Promise<SweepResult> {
    const all: SweepResult = { removed: [], unmounted: [], kept: [] };
    for (const sub of ['ingest', 'layers', 'cache', 'refs', 'cachemounts', 'locks', 'meta']) {
      const r = await sweepStale(join(this.root, sub));
      all.removed.push(...r.removed.map((n) => `${sub}/${n}`));
      all.unmounted.push(...r.unmounted);
      all.kept.push(...r.kept.map((k) => ({ name: `${sub}/${k.name}`, reason: k.reason })));
    }
    return all;
  }

  /** `$STRATA_ROOT`, else `$XDG_DATA_HOME/strata`, else `~/.local/share/strata`. */
  static defaultRoot(env: NodeJS.ProcessEnv): string {
    if (env.STRATA_ROOT) return resolve(env.STRATA_ROOT);
    if (env.XDG_DATA_HOME) return resolve(env.XDG_DATA_HOME, 'strata');
    return resolve(env.HOME || homedir(), '.local', 'share', 'strata');
  }

  // ---- blobs: blobs/sha256/<hex>, immutable, verified on read ----

  blobPath(d: Digest): string {
    return join(this.root, 'blobs', 'sha256', digestHex(parseDigest(d)));
  }

  async hasBlob(d: Digest): Promise<boolean> {
    return exists(this.blobPath(d));
  }

  async putBlob(data: Uint8Array | string, expected?: Digest): Promise<{ digest: Digest; size: number }> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const digest = sha256(bytes);
    if (expected !== undefined) verifyDigest(digest, parseDigest(expected), 'the data given');
    if (await this.hasBlob(digest)) return { digest, size: bytes.length };
    const w = await this.ingest();
    w.stream.end(bytes);
    return w.commit({ digest, size: bytes.length });
  }

  /**
   * Writes `data` into ingest/ now and publishes it as a blob only on publish(): for the
   * blobs a step's record names, written while the step runs, so that a step that fails
   * leaves none behind (discard() removes the bytes; a process that dies first leaves an
   * ingest entry the next open() sweeps). A blob already present is not written again.
   */
  async stageBlob(data: Uint8Array | string): Promise<StagedBlob> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const digest = sha256(bytes);
    const size = bytes.length;
    if (await this.hasBlob(digest)) return { digest, publish: async () => digest, discard: async () => {} };
    const w = await this.ingest();
    w.stream.end(bytes);
    // Written and hashed (and any failure, a full disk, known) before the caller goes on.
    try {
      await w.digest();
    } catch (err) {
      await w.abort();
      throw err;
    }
    return {
      digest,
      publish: async () => (await w.commit({ digest, size })).digest,
      discard: () => w.abort(),
    };
  }

  /**
   * stageBlob of a document given in pieces, written and hashed as they come: the document
   * never exists as one string or Buffer (a 100,000-file COPY's layer-files list is ~10 MB,
   * and as one string, its lines and its bytes it was ~30 MB at the end of the step).
   */
  async stageBlobPieces(
    pieces: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
  ): Promise<StagedBlob> {
    const w = await this.ingest();
    try {
      // Pieces queue (up to PIECES_QUEUED bytes) while a write is under way, and go down
      // together (ingest-writer.ts writev): waiting for each to drain was a thread-pool trip
      // per 64 KiB piece.
      for await (const piece of pieces)
        if (!w.stream.write(piece) && w.stream.writableLength >= PIECES_QUEUED) await once(w.stream, 'drain');
      const { digest, size } = await w.digest();
      return {
        digest,
        publish: async () => (await w.commit({ digest, size })).digest,
        discard: () => w.abort(),
      };
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  async ingest(): Promise<IngestWriter> {
    return FileIngestWriter.create(join(this.root, 'ingest'), join(this.root, 'blobs', 'sha256'));
  }

  /**
   * A new empty file `ingest/.scratch-<owner>` for a command's temporary bytes (the
   * decompressed copy of an archive being loaded), created exclusively and never through a
   * symlink. The caller closes and removes it; if this process dies first, the next open()
   * sweeps it, as it does every temp entry of a dead owner.
   */
  async createScratchFile(): Promise<{ path: string; fh: FileHandle }> {
    const path = join(this.root, 'ingest', ownedName('.scratch-'));
    const flags = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    try {
      return { path, fh: await open(path, flags, 0o600) };
    } catch (err) {
      throw mapNoSpace(err, `create scratch file in ${this.root}`);
    }
  }

  /** The blob as a verified stream (see verified-read.ts); `chunk`: bytes read at a time. */
  openBlob(d: Digest, opts: { chunk?: number } = {}): Readable {
    return openVerified(this.blobPath(d), d, opts.chunk);
  }

  async readBlob(d: Digest): Promise<Buffer> {
    const path = this.blobPath(d);
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`read blob ${d}: not in store`, { cause: err });
      throw err;
    }
    verifyDigest(sha256(data), d, path);
    return data;
  }

  async readJsonBlob<T>(d: Digest): Promise<T> {
    return parseJsonBlob<T>(d, await this.readBlob(d));
  }

  async listBlobs(): Promise<{ digest: Digest; size: number }[]> {
    const dir = join(this.root, 'blobs', 'sha256');
    const out: { digest: Digest; size: number }[] = [];
    for (const name of (await readdir(dir)).sort()) {
      if (!HEX64.test(name)) continue;
      const st = await stat(join(dir, name)).catch(() => undefined);
      if (st !== undefined) out.push({ digest: `sha256:${name}`, size: st.size });
    }
    return out;
  }

  async removeBlob(d: Digest): Promise<boolean> {
    return removeFile(this.blobPath(d));
  }

  // ---- layers: layers/<chainid-hex>/{diff/, lower, layer.json} (see layer-dirs.ts) ----

  layerPath(chainId: Digest): string {
    return this.#layers.path(chainId);
  }

  diffPath(chainId: Digest): string {
    return join(this.#layers.path(chainId), 'diff');
  }

  /** The layer's tar-split index (present when its record has `tarSplit`). */
  tarSplitPath(chainId: Digest): string {
    return join(this.#layers.path(chainId), TAR_SPLIT);
  }

  /** Where the tar-split index of a staged diff (from makeStagingDir) is written. */
  stagedTarSplitPath(staged: string): string {
    return join(dirname(staged), TAR_SPLIT);
  }

  getLayer(chainId: Digest): Promise<LayerRecord | undefined> {
    return this.#layers.get(chainId);
  }

  /** Every layer with a record, sorted by chainID. */
  listLayers(): Promise<LayerRecord[]> {
    return this.#layers.list();
  }

  /** Ancestors of a present layer, nearest first (its `lower` file). NotFoundError if absent. */
  lowerChain(chainId: Digest): Promise<Digest[]> {
    return this.#layers.lowerChain(chainId);
  }

  /** A fresh empty dir (`layers/.staging-<owner>/diff`) on the layers filesystem. */
  makeStagingDir(): Promise<string> {
    return this.#layers.makeStaging();
  }

  /** Drops a staging dir that will not be committed (its wrapper too). */
  discardStagingDir(staged: string): Promise<void> {
    return this.#layers.discardStaging(staged);
  }

  /**
   * Makes `staged` the diff of layer `info.chainId`, with its lower and layer.json, in one
   * rename. The chainID must follow from parent and diffID (InvalidInputError), and the
   * parent must be present (NotFoundError). If the layer is already present (written by
   * anyone, before or concurrently) the staged dir is deleted and the existing record is
   * returned: success means "present", not "this call wrote it".
   */
  commitLayer(staged: string, info: CommitLayerInfo): Promise<LayerRecord> {
    return this.#layers.commit(staged, info);
  }

  /** Records a compressed blob of a present layer; NotFoundError if the blob is absent. */
  async addCompressed(chainId: Digest, c: CompressedLayer): Promise<void> {
    if (!(await this.hasBlob(c.digest))) {
      throw new NotFoundError(`add compressed layer: blob ${c.digest} not in store`);
    }
    await this.#layers.addCompressed(chainId, c);
  }

  /** Removes a layer (idempotent). Children are not checked: that is gc's job. */
  removeLayer(chainId: Digest): Promise<void> {
    return this.#layers.remove(chainId);
  }

  // ---- cache records: cache/<key-hex>.json (see cache-records.ts) ----

  /** The record, undefined when absent; DigestMismatchError naming the file when corrupt. */
  getCacheRecord<T extends { key: Digest }>(key: Digest): Promise<T | undefined> {
    return this.#cache.get<T>(key);
  }

  /** Writes (or replaces) the record for `rec.key` atomically. */
  putCacheRecord(rec: { key: Digest }): Promise<void> {
    return this.#cache.put(rec);
  }

  listCacheRecords<T extends { key: Digest }>(): Promise<T[]> {
    return this.#cache.list<T>();
  }

  /** Marks records as used now (their last use orders the GC; see CacheRecords.touch). */
  touchCacheRecords(keys: Iterable<Digest>, when?: Date, staleAfterMs?: number): Promise<void> {
    return this.#cache.touch(keys, when, staleAfterMs);
  }

  /** Each record's last use, ms since the epoch, by key. */
  cacheRecordsLastUsed(): Promise<Map<Digest, number>> {
    return this.#cache.lastUsed();
  }

  /** Idempotent. */
  removeCacheRecord(key: Digest): Promise<void> {
    return this.#cache.remove(key);
  }

  // ---- refs: refs/<encoded name>.json (see ref-files.ts) ----

  /** Points `name` at `target`, replacing any previous target atomically. */
  setRef(name: string, target: RefTarget): Promise<void> {
    return this.#refs.set(name, target);
  }

  getRef(name: string): Promise<RefTarget | undefined> {
    return this.#refs.get(name);
  }

  /** Every ref, sorted by name. */
  listRefs(): Promise<{ name: string; target: RefTarget }[]> {
    return this.#refs.list();
  }

  /** Removes a ref; true if it existed. */
  deleteRef(name: string): Promise<boolean> {
    return this.#refs.delete(name);
  }

  // ---- cache mounts: cachemounts/<sha256(id)-hex>/ (see cache-mounts.ts) ----

  cacheMountPath(id: string): string {
    return this.#mounts.path(id);
  }

  ensureCacheMount(id: string, init?: CacheMountInit): Promise<string> {
    return this.#mounts.ensure(id, init);
  }

  /** ensureCacheMount, and kept from removal until `release()` (a running step uses it). */
  useCacheMount(id: string, init?: CacheMountInit): Promise<CacheMountUse> {
    return this.#mounts.use(id, init);
  }

  listCacheMounts(): Promise<CacheMountInfo[]> {
    return this.#mounts.list();
  }

  /** False (and nothing removed) when a running build uses it. */
  removeCacheMount(idOrPath: string): Promise<boolean> {
    return this.#mounts.remove(idOrPath);
  }

  // ---- meta/<name>: small mutable state files, replaced atomically ----

  async readMeta(name: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.root, 'meta', encodeName(name, 'meta file')));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * A meta file in pieces of up to 4 MiB (one buffer, reused: each piece must be consumed
   * before the next is asked for), or undefined when there is none. For big caches: the
   * reader never holds the whole file as one Buffer.
   */
  async readMetaPieces(name: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(join(this.root, 'meta', encodeName(name, 'meta file')), 'r');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    return (async function* pieces() {
      const buf = Buffer.allocUnsafe(META_PIECE);
      try {
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, buf.length, null);
          if (bytesRead === 0) return;
          yield buf.subarray(0, bytesRead);
        }
      } finally {
        await fh.close();
      }
    })();
  }

  /**
   * Meta files are caches and reports (stat cache, step index, build reports) that a later
   * build rewrites, so they are replaced atomically but not fsynced: two fsyncs per file
   * were a visible share of every build on a busy disk.
   */
  async writeMeta(name: string, data: Uint8Array | string): Promise<void> {
    await writeFileAtomic(join(this.root, 'meta', encodeName(name, 'meta file')), data, 0o600, false);
  }

  /** writeMeta for a document made in pieces (written as they come, never joined). */
  async writeMetaPieces(name: string, pieces: Iterable<string>): Promise<void> {
    await writeFileAtomicPieces(join(this.root, 'meta', encodeName(name, 'meta file')), pieces, 0o600, false);
  }

  /**
   * The meta files whose names start with `prefix`, with their sizes, modification and access
   * times (ms), in no particular order. Temp files of writes in progress (`.tmp-`) are never
   * listed. Listing reads no file, so it moves no access time.
   */
  async listMeta(prefix: string): Promise<MetaFileInfo[]> {
    const dir = join(this.root, 'meta');
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const out: MetaFileInfo[] = [];
    for (const e of entries) {
      const name = decodeName(e);
      if (name === undefined || !name.startsWith(prefix)) continue;
      // Gone between the listing and the stat: another process removed it, so it is not listed.
      const st = await stat(join(dir, e)).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
      if (st?.isFile()) out.push({ name, size: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs });
    }
    return out;
  }

  /** Removes a meta file; true if it existed. */
  removeMeta(name: string): Promise<boolean> {
    return removeFile(join(this.root, 'meta', encodeName(name, 'meta file')));
  }

  // ---- locks/<name>/ (see file-lock.ts for the protocol and its limits) ----

  /**
   * Exclusive cross-process lock; waits; takes over a lock whose holder has died. Any name
   * is allowed (it is encoded, never a raw path); names starting `store:` are the store's own.
   */
  lock(name: string, opts: { signal?: AbortSignal } = {}): Promise<Lock> {
    return acquire(join(this.root, 'locks', encodeName(name, 'lock')), opts.signal);
  }

  /** The lock if free (or held by a dead process), else undefined. Does not wait. */
  tryLock(name: string): Promise<Lock | undefined> {
    return tryAcquire(join(this.root, 'locks', encodeName(name, 'lock')));
  }

  // ---- disk usage ----

  /** Layer sizes are measured on disk (apparent size of the layer dir), not recorded sizes. */
  async du(): Promise<DiskUsage> {
    const layers: DiskUsage['layers'] = [];
    for (const rec of await this.listLayers()) {
      layers.push({ chainId: rec.chainId, size: await dirSize(this.layerPath(rec.chainId)) });
    }
    return {
      layers,
      blobs: await this.listBlobs(),
      cacheRecords: (await this.#cache.files()).length,
      cacheMounts: await this.listCacheMounts(),
      meta: await this.listMeta(''),
    };
  }
}

export type { IngestWriter } from './ingest-writer.js';
export type {
  CacheMountInfo,
  CacheMountInit,
  CommitLayerInfo,
  CompressedLayer,
  LayerRecord,
  Lock,
  RefTarget,
};
