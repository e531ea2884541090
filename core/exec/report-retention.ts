/**
 * Which build reports (meta/build-<id>.json, build-report.ts) a store keeps. Every build that
 * decides something new writes one, so without a limit a store built in thousands of times
 * holds thousands. As BuildKit's build history (buildkitd.toml `[history] maxEntries`, 50 by
 * default), the newest `maxEntries` are kept; besides them, always:
 *
 * - the last build's (`strata explain` with no image),
 * - the report of every image a tag names, each platform of a multi-platform tag
 *   (`strata explain|layers|explore NAME`),
 * - any report younger than `graceMs`: a build writes its report first and points at it just
 *   after (last-build.json, image-<id>.json), and another process may be between the two.
 *
 * Pointers are read after the listing, so a report written after it is not a candidate at all.
 * An image pointer (meta/image-<id>.json) goes once its image is gone from the store (nothing
 * can name it any more); the pointer of an image that is still there stays, so asking about it
 * says its report was pruned rather than that it was never built here.
 */
import type { Store } from '../../store/store.js';
import type { Digest } from '../oci/digest.js';
import { readPointer } from './build-report.js';

/** BuildKit's default for `[history] maxEntries`. */
export const DEFAULT_MAX_REPORTS = 50;

export interface ReportRetention {
  /** The newest this many reports are kept (pinned ones count among them); 0 keeps only pinned ones. */
  maxEntries: number;
  /** Also remove unpinned reports older than this (prune's `until=`), newest or not. */
  olderThanMs?: number;
  /** Reports and pointers younger than this are kept whatever the rest says. */
  graceMs: number;
  now?: number;
  /** Decide only: nothing is removed. */
  dryRun?: boolean;
}

export interface RemovedReport {
  buildId: string;
  bytes: number;
  mtimeMs: number;
  /** Older than `olderThanMs`, or beyond the newest `maxEntries`. */
  why: 'older' | 'beyond';
}

export interface ReportPruneResult {
  /** The reports removed (or, in a dry run, that would be). */
  removed: RemovedReport[];
  kept: { pinned: number; newest: number; young: number };
  /** Image pointers removed because their image is gone. */
  pointers: number;
}

const REPORT = /^build-([0-9A-Za-z_.-]+)\.json$/;
const IMAGE_POINTER = /^image-([0-9a-f]{64})\.json$/;

export async function pruneReports(store: Store, r: ReportRetention): Promise<ReportPruneResult> {
  const now = r.now ?? Date.now();
  const reports = (await store.listMeta('build-'))
    .flatMap((m) => {
      const id = REPORT.exec(m.name)?.[1];
      return id === undefined ? [] : [{ ...m, buildId: id }];
    })
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  const pinned = await pinnedBuilds(store);
  const result: ReportPruneResult = { removed: [], kept: { pinned: 0, newest: 0, young: 0 }, pointers: 0 };
  for (const [i, rep] of reports.entries()) {
    const age = now - rep.mtimeMs;
    const tooOld = r.olderThanMs !== undefined && age > r.olderThanMs;
    if (pinned.has(rep.buildId)) result.kept.pinned++;
    else if (age < r.graceMs) result.kept.young++;
    else if (i < r.maxEntries && !tooOld) result.kept.newest++;
    else {
      result.removed.push({
        buildId: rep.buildId,
        bytes: rep.size,
        mtimeMs: rep.mtimeMs,
        why: tooOld ? 'older' : 'beyond',
      });
      if (!r.dryRun) await store.removeMeta(rep.name);
    }
  }
  if (!r.dryRun) {
    for (const p of await store.listMeta('image-')) {
      const hex = IMAGE_POINTER.exec(p.name)?.[1];
      if (hex === undefined || now - p.mtimeMs < r.graceMs) continue;
      if (!(await store.hasBlob(`sha256:${hex}` as Digest)) && (await store.removeMeta(p.name)))
        result.pointers++;
    }
  }
  return result;
}

/**
 * Whether a build that wrote the store's `written`-th report should prune reports: every
 * quarter of `maxEntries` writes (at most 16), so a store holds at most that many more than
 * `maxEntries` between prunes and a build lists meta/ only that often.
 */
export function reportPruneDue(written: number, maxEntries: number): boolean {
  const every = Math.min(16, Math.max(1, Math.ceil(maxEntries / 4)));
  return written % every === 0;
}

/** The builds whose reports something a user can ask about points at: the last build, tagged images. */
async function pinnedBuilds(store: Store): Promise<Set<string>> {
  const ids = new Set<string>();
  const add = async (name: string) => {
    // An unreadable pointer pins nothing; the report it named still counts among the newest.
    const id = (await readPointer(store, name))?.buildId;
    if (typeof id === 'string') ids.add(id);
  };
  await add('last-build.json');
  const images = new Set<Digest>();
  for (const { target } of await store.listRefs())
    for (const c of [target.config, ...Object.values(target.platforms ?? {})]) images.add(c);
  for (const c of images) await add(`image-${c.slice(7)}.json`);
  return ids;
}
