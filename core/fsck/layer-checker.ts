/**
 * Layer checks, per `layers/<chainid-hex>/`:
 *   - layer.json parses and describes this chainID;
 *   - chainID = chain(parent, diffID), and the parent is present and healthy;
 *   - `lower` lists exactly the parent followed by the parent's own lower chain;
 *   - every compressed blob layer.json lists is present and hashes right;
 *   - the diff dir re-tars to the diffID (layer-content.ts).
 * Results are memoised per chainID. A layer whose parent is damaged is itself unusable (its
 * diff is meaningless without what lies below it), so damage cascades up the chain.
 *
 * Repair: a damaged layer dir is moved to quarantine/layers/. A listed compressed blob that
 * is missing, in a layer whose diff dir is fine on its own, is only dropped from layer.json.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../store/atomic-file.js';
import type { LayerRecord } from '../../store/layer-record.js';
import { chainId as computeChainId, type Digest, digestHex } from '../oci/digest.js';
import type { BlobChecker } from './blob-checker.js';
import type { FsckContext } from './fsck-context.js';
import type { FsckProblem, ProblemKind } from './fsck-report.js';
import { verifyDiffDir } from './layer-content.js';

export type LayerStatus = 'ok' | 'missing' | 'bad';

const HEX64 = /^[0-9a-f]{64}$/;

export class LayerChecker {
  readonly #ctx: FsckContext;
  readonly #blobs: BlobChecker;
  readonly #epochs: Map<Digest, Set<number>>;
  readonly #memo = new Map<Digest, Promise<LayerStatus>>();
  readonly #diffIds = new Map<Digest, Digest>();

  /** `epochs`: SOURCE_DATE_EPOCH candidates per chainID (see layer-content.ts). */
  constructor(ctx: FsckContext, blobs: BlobChecker, epochs: Map<Digest, Set<number>>) {
    this.#ctx = ctx;
    this.#blobs = blobs;
    this.#epochs = epochs;
  }

  /** Checks every layer dir, parents before children; returns how many were checked. */
  async scan(): Promise<number> {
    let count = 0;
    for (const name of (await readdir(join(this.#ctx.store.root, 'layers'))).sort()) {
      if (!HEX64.test(name)) continue; // staging and trash dirs of live builds
      count++;
      await this.status(`sha256:${name}`);
    }
    return count;
  }

  /** The layer's health, checked once; damage is reported (and repaired) the first time. */
  status(chainId: Digest): Promise<LayerStatus> {
    let s = this.#memo.get(chainId);
    if (s === undefined) {
      s = this.#check(chainId);
      this.#memo.set(chainId, s);
    }
    return s;
  }

  /** The recorded diffID of a layer whose status is `ok`. */
  diffIdOf(chainId: Digest): Digest | undefined {
    return this.#diffIds.get(chainId);
  }

  async #check(chainId: Digest): Promise<LayerStatus> {
    const { store } = this.#ctx;
    const dir = store.layerPath(chainId);
    if ((await stat(dir).catch(() => undefined)) === undefined) return 'missing';
    let rec: LayerRecord | undefined;
    try {
      rec = await store.getLayer(chainId);
    } catch (err) {
      return this.#bad('layer-record', dir, (err as Error).message);
    }
    if (rec === undefined) return this.#bad('layer-record', dir, 'layer.json is missing');
    const expected = computeChainId(rec.parent, rec.diffId);
    if (expected !== chainId) {
      return this.#bad(
        'layer-chain',
        dir,
        `parent ${rec.parent ?? '(none)'} + diffId ${rec.diffId} chain to ${expected}`,
      );
    }
    if (rec.parent !== undefined) {
      const parent = await this.status(rec.parent);
      if (parent !== 'ok')
        return this.#bad(
          'layer-parent',
          dir,
          `parent layer ${rec.parent} is ${parent === 'missing' ? 'missing' : 'damaged'}`,
        );
    }
    const lowerProblem = await this.#lowerProblem(chainId, rec.parent);
    if (lowerProblem !== undefined) return this.#bad('layer-lower', dir, lowerProblem);
    const healthy: LayerRecord['compressed'] = [];
    const missing: LayerRecord['compressed'] = [];
    for (const c of rec.compressed)
      ((await this.#blobs.status(c.digest)) === 'ok' ? healthy : missing).push(c);
    const verdict = await verifyDiffDir(store, rec, [...(this.#epochs.get(chainId) ?? [])], healthy);
    if (!verdict.ok) return this.#bad('layer-diff', dir, verdict.detail);
    for (const c of missing) {
      const p = this.#ctx.report(
        'layer-blob-missing',
        join(dir, 'layer.json'),
        `lists blob ${c.digest}, which is missing or corrupt`,
      );
      await this.#ctx.repairWith(p, 'rewritten', () => this.#dropCompressed(chainId, c.digest));
    }
    this.#diffIds.set(chainId, rec.diffId);
    return 'ok';
  }

  async #lowerProblem(chainId: Digest, parent: Digest | undefined): Promise<string | undefined> {
    const { store } = this.#ctx;
    let actual: Digest[];
    let want: Digest[] = [];
    try {
      actual = await store.lowerChain(chainId);
      if (parent !== undefined) want = [parent, ...(await store.lowerChain(parent))];
    } catch (err) {
      return `cannot read lower: ${(err as Error).message}`;
    }
    if (actual.join(':') === want.join(':')) return undefined;
    const show = (l: Digest[]) =>
      l.length === 0 ? '(empty)' : l.map((d) => digestHex(d).slice(0, 12)).join(':');
    return `lower is ${show(actual)}, the parent chain is ${show(want)}`;
  }

  /** Rewrites layer.json without `digest`, under the same lock Store.addCompressed takes. */
  async #dropCompressed(chainId: Digest, digest: Digest): Promise<void> {
    const { store } = this.#ctx;
    const lock = await store.lock(`store:layer:${digestHex(chainId)}`);
    try {
      const rec = await store.getLayer(chainId);
      if (rec === undefined) return;
      rec.compressed = rec.compressed.filter((c) => c.digest !== digest);
      await writeFileAtomic(
        join(store.layerPath(chainId), 'layer.json'),
        `${JSON.stringify(rec, null, 2)}\n`,
        0o644,
      );
    } finally {
      await lock.release();
    }
  }

  async #bad(kind: ProblemKind, dir: string, detail: string): Promise<LayerStatus> {
    const p: FsckProblem = this.#ctx.report(kind, dir, detail);
    await this.#ctx.quarantineFor(p, dir, 'layers');
    return 'bad';
  }
}
