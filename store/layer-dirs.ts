/**
 * The `layers/` folder: one directory per chainID, like Docker's overlay2 driver:
 *   layers/<chainid-hex>/diff/       the layer's files (whiteouts as overlay keeps them)
 *   layers/<chainid-hex>/lower       ancestor chainID hexes, nearest first, ':'-joined
 *                                    (empty for a base layer), so each can be `ls`ed
 *   layers/<chainid-hex>/layer.json  the LayerRecord
 *   layers/<chainid-hex>/tar-split.gz  only for a tar loaded from outside: how to write
 *                                    its original bytes again (core/diff/tar-split.ts)
 * A layer dir appears in one rename of a fully prepared `.staging-<owner>` dir, so a reader
 * never sees a layer without its record, and disappears in one rename to `.trash-<owner>`.
 *
 * Durability limit: layer.json and lower are fsynced, the files in diff/ are not (fsyncing
 * every file of a large layer costs seconds); after a power cut a diff may be incomplete.
 */
import { lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  chainId as computeChainId,
  type Digest,
  digestHex,
  InvalidInputError,
  NotFoundError,
  parseDigest,
} from '../core/oci/index.js';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import type { Lock } from './file-lock.js';
import { errnoCode, isNotFound, mapNoSpace } from './fs-errors.js';
import { type CompressedLayer, type LayerRecord, readLayerRecord } from './layer-record.js';
import { ownedName } from './process-owner.js';

export interface CommitLayerInfo {
  chainId: Digest;
  diffId: Digest;
  parent?: Digest;
  size: number;
  /**
   * The tar-split index written beside the staged diff (at tarSplitBeside(staged)), its
   * digest and size; it moves into the layer dir with the diff.
   */
  tarSplit?: { digest: Digest; size: number };
}

/** The name of a layer's tar-split index, beside its diff/. */
export const TAR_SPLIT = 'tar-split.gz';

const HEX64 = /^[0-9a-f]{64}$/;
const STAGING = '.staging-';

export class LayerDirs {
  readonly dir: string;
  readonly #lock: (name: string) => Promise<Lock>;

  constructor(dir: string, lock: (name: string) => Promise<Lock>) {
    this.dir = dir;
    this.#lock = lock;
  }

  path(chainId: Digest): string {
    return join(this.dir, digestHex(parseDigest(chainId)));
  }

  async get(chainId: Digest): Promise<LayerRecord | undefined> {
    return readLayerRecord(join(this.path(chainId), 'layer.json'), chainId);
  }

  async list(): Promise<LayerRecord[]> {
    const out: LayerRecord[] = [];
    for (const name of (await readdir(this.dir)).sort()) {
      if (!HEX64.test(name)) continue;
      const rec = await this.get(`sha256:${name}`);
      if (rec !== undefined) out.push(rec);
    }
    return out;
  }

  /** Ancestor chainIDs of a present layer, nearest first (from its `lower` file). */
  async lowerChain(chainId: Digest): Promise<Digest[]> {
    let text: string;
    try {
      text = await readFile(join(this.path(chainId), 'lower'), 'utf8');
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`read layer ${chainId}: not in store`, { cause: err });
      throw err;
    }
    return text
      .trim()
      .split(':')
      .filter((h) => h !== '')
      .map((h) => parseDigest(`sha256:${h}`));
  }

  /** `layers/.staging-<owner>/diff`, empty; its parent is what commit() renames. */
  async makeStaging(): Promise<string> {
    const wrapper = join(this.dir, ownedName(STAGING));
    try {
      await mkdir(join(wrapper, 'diff'), { recursive: true, mode: 0o755 });
    } catch (err) {
      await rm(wrapper, { recursive: true, force: true });
      throw mapNoSpace(err, 'make layer staging dir');
    }
    return join(wrapper, 'diff');
  }

  /** Removes a dir from makeStaging() with its wrapper; a no-op once committed or removed. */
  async discardStaging(staged: string): Promise<void> {
    const parent = dirname(staged);
    const ours =
      basename(staged) === 'diff' && dirname(parent) === this.dir && basename(parent).startsWith(STAGING);
    await rm(ours ? parent : staged, { recursive: true, force: true });
  }

  async commit(staged: string, info: CommitLayerInfo): Promise<LayerRecord> {
    const chainId = parseDigest(info.chainId);
    const diffId = parseDigest(info.diffId);
    const parent = info.parent === undefined ? undefined : parseDigest(info.parent);
    if (computeChainId(parent, diffId) !== chainId) {
      throw new InvalidInputError(`commit layer ${chainId}: chainID does not follow from parent and diffID`);
    }
    if (!Number.isSafeInteger(info.size) || info.size < 0) {
      throw new InvalidInputError(`commit layer ${chainId}: bad size ${info.size}`);
    }
    const wrapper = await this.#wrapperFor(resolve(staged));
    try {
      const existing = await this.get(chainId);
      if (existing !== undefined) return existing;
      if (parent !== undefined && (await this.get(parent)) === undefined) {
        throw new NotFoundError(`commit layer ${chainId}: parent ${parent} not in store`);
      }
      const lower = parent === undefined ? [] : [parent, ...(await this.lowerChain(parent))];
      if (info.tarSplit !== undefined && !(await isFile(join(wrapper, TAR_SPLIT)))) {
        throw new InvalidInputError(`commit layer ${chainId}: no ${TAR_SPLIT} beside the staged diff`);
      }
      const rec: LayerRecord = {
        chainId,
        diffId,
        ...(parent !== undefined ? { parent } : {}),
        size: info.size,
        createdAt: new Date().toISOString(),
        compressed: [],
        ...(info.tarSplit !== undefined
          ? { tarSplit: { digest: parseDigest(info.tarSplit.digest), size: info.tarSplit.size } }
          : {}),
      };
      // Both inside the wrapper, which is renamed into place only once both are durable:
      // written side by side, their fsyncs overlap (a commit waited on four in a row). Both
      // settle before a failure is raised, so the wrapper is never removed under a write.
      const written = await Promise.allSettled([
        writeFileAtomic(join(wrapper, 'lower'), lower.map(digestHex).join(':'), 0o644),
        writeFileAtomic(join(wrapper, 'layer.json'), json(rec), 0o644),
      ]);
      for (const w of written) if (w.status === 'rejected') throw w.reason;
      try {
        await rename(wrapper, this.path(chainId));
      } catch (err) {
        const code = errnoCode(err);
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        // Another process committed the same layer first: theirs is as good as ours.
        const theirs = await this.get(chainId);
        if (theirs === undefined) throw err;
        return theirs;
      }
      await fsyncDir(this.dir);
      return rec;
    } catch (err) {
      throw mapNoSpace(err, `commit layer ${chainId}`);
    } finally {
      await rm(wrapper, { recursive: true, force: true });
    }
  }

  /**
   * The staging wrapper holding `staged` as its `diff`. A dir from makeStaging() already has
   * one; any other dir (same filesystem) is moved into a fresh wrapper.
   */
  async #wrapperFor(staged: string): Promise<string> {
    const parent = dirname(staged);
    if (basename(staged) === 'diff' && dirname(parent) === this.dir && basename(parent).startsWith(STAGING)) {
      return parent;
    }
    const wrapper = join(this.dir, ownedName(STAGING));
    await mkdir(wrapper, { mode: 0o755 });
    try {
      await rename(staged, join(wrapper, 'diff'));
    } catch (err) {
      await rm(wrapper, { recursive: true, force: true });
      throw new InvalidInputError(`commit layer: cannot move ${staged} into the store`, { cause: err });
    }
    return wrapper;
  }

  /** Adds a compressed form to layer.json (no-op if that digest is already listed). */
  async addCompressed(chainId: Digest, c: CompressedLayer): Promise<void> {
    // Read-modify-write of layer.json: serialised so two exporters cannot lose an entry.
    const lock = await this.#lock(`store:layer:${digestHex(parseDigest(chainId))}`);
    try {
      const rec = await this.get(chainId);
      if (rec === undefined) throw new NotFoundError(`add compressed layer: layer ${chainId} not in store`);
      if (rec.compressed.some((x) => x.digest === c.digest)) return;
      rec.compressed.push({ digest: parseDigest(c.digest), size: c.size, mediaType: c.mediaType });
      await writeFileAtomic(join(this.path(chainId), 'layer.json'), json(rec), 0o644);
    } finally {
      await lock.release();
    }
  }

  /** Removes a layer dir in one step (rename away, then delete). Idempotent. */
  async remove(chainId: Digest): Promise<void> {
    const trash = join(this.dir, ownedName('.trash-'));
    try {
      await rename(this.path(chainId), trash);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    await rm(trash, { recursive: true, force: true });
  }
}

async function isFile(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => undefined))?.isFile() === true;
}

function json(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}
