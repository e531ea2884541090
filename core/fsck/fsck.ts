/**
 * fsck: checks that everything in a store is what its name and records say, and with
 * `repair` moves what is damaged to quarantine/ and drops records and refs that point at
 * what is missing. Order: blobs, layers (parents first), refs, cache records, so each check
 * can rely on the verdicts before it; anything that appears meanwhile (a concurrent build
 * commits a layer, then its record) is checked on demand when first named.
 *
 * First it cleans what dead builds left (runc containers and their processes, mounts, build
 * and staging dirs: core/exec/build-dirs.ts) and lists it in `orphans`; what has to stay
 * (a busy mount) counts as a problem that remains.
 *
 * Runs under the store's `gc` lock: prune never runs at the same time, so nothing fsck
 * judges "missing" is being deleted under it. Builds may run meanwhile: they only add, and
 * always add what is named before what names it (blob before ref, layer before record).
 */
import type { Store } from '../../store/store.js';
import { sweepDeadBuilds } from '../exec/build-dirs.js';
import { BlobChecker } from './blob-checker.js';
import { checkCacheRecords } from './check-cache-records.js';
import { checkRefs } from './check-refs.js';
import { epochCandidates } from './epoch-candidates.js';
import { FsckContext } from './fsck-context.js';
import type { FsckReport } from './fsck-report.js';
import { LayerChecker } from './layer-checker.js';

export interface FsckOptions {
  /** Quarantine damaged blobs and layers, remove refs and records that dangle. */
  repair?: boolean;
  /** Aborts while waiting for the `gc` lock. */
  signal?: AbortSignal;
}

/**
 * Checks the whole store. Never throws for damage it finds (that is in the report); throws
 * only when the store itself cannot be read (I/O errors on its folders).
 */
export async function fsck(store: Store, opts: FsckOptions = {}): Promise<FsckReport> {
  const lock = await store.lock('gc', { signal: opts.signal });
  try {
    // Always, even without repair: what a dead build left runs or stays mounted, and every
    // command that opens the store would clean it anyway; fsck just lists each item.
    const orphans = await sweepDeadBuilds(store, { thorough: true });
    const ctx = new FsckContext(store, opts.repair ?? false);
    const blobs = new BlobChecker(ctx);
    const layers = new LayerChecker(ctx, blobs, await epochCandidates(store));
    const checked = {
      blobs: await blobs.scan(),
      layers: await layers.scan(),
      refs: await checkRefs(ctx, blobs, layers),
      cacheRecords: await checkCacheRecords(ctx, blobs, layers),
    };
    const remaining = ctx.problems.filter((p) => p.repaired === undefined).length + orphans.kept.length;
    return { checked, problems: ctx.problems, orphans, remaining };
  } finally {
    await lock.release();
  }
}
