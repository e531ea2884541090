/**
 * `strata explain`: a past build's cache decisions, step by step. The view is the saved
 * BuildReport plus, for each hit, which earlier build made the record it reused (read from
 * that cache record). `explainView` is pure so tests build reports by hand;
 * `loadExplainView` reads the store.
 */

import { join } from 'node:path';
import type { Store } from '../../store/store.js';
import type { CacheRecord, MissCause } from '../cache/records.js';
import type { BuildReport, StepReport } from '../exec/build-report.js';
import { findReport } from '../exec/build-report.js';
import type { Digest } from '../oci/digest.js';
import { NotFoundError } from '../oci/errors.js';

/** Who made the record a hit reused. */
export interface MadeBy {
  buildId: string;
  createdAt: string;
}

export interface ExplainStep extends StepReport {
  /** Hits only, when the record is still in the store. */
  madeBy?: MadeBy;
}

export interface ExplainSummary {
  steps: number;
  hits: number;
  misses: number;
  /** Misses counted by cause; a cascade counts as `parent`. */
  byCause: Partial<Record<MissCause, number>>;
}

/** The saved report's fields, with steps annotated and a summary added. */
export interface ExplainView extends Omit<BuildReport, 'steps'> {
  steps: ExplainStep[];
  summary: ExplainSummary;
}

/** Combines a report with the makers of its hits (by step key). */
export function explainView(
  report: BuildReport,
  madeBy: ReadonlyMap<Digest, MadeBy> = new Map(),
): ExplainView {
  const steps = report.steps.map((s): ExplainStep => {
    const m = s.hit && s.key !== 'pending' ? madeBy.get(s.key) : undefined;
    return m ? { ...s, madeBy: m } : { ...s };
  });
  const byCause: Partial<Record<MissCause, number>> = {};
  for (const s of steps) if (!s.hit && s.cause) byCause[s.cause] = (byCause[s.cause] ?? 0) + 1;
  const hits = steps.filter((s) => s.hit).length;
  return {
    buildId: report.buildId,
    file: report.file,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    dryRun: report.dryRun,
    imageId: report.imageId,
    tags: report.tags,
    stages: report.stages,
    steps,
    summary: { steps: steps.length, hits, misses: steps.length - hits, byCause },
  };
}

/**
 * The view of the build that last made `imageId` (or the last build). NotFoundError when the
 * store holds no report for it (an imported or loaded image was never built here, or its report
 * was pruned: core/exec/report-retention.ts).
 */
export async function loadExplainView(store: Store, imageId?: Digest): Promise<ExplainView> {
  const { report, buildId } = await findReport(store, imageId);
  if (!report) {
    throw new NotFoundError(
      buildId !== undefined && imageId
        ? `explain image: the build report of ${imageId} (build ${buildId}) was pruned: the store keeps the newest ` +
            `history.maxEntries reports (50 unless ${join(store.root, 'config.json')} says otherwise), the last build's and those of ` +
            'tagged images; build it again to explain it'
        : buildId !== undefined
          ? `explain: the last build's report (build ${buildId}) is missing from the store's meta/: build again`
          : imageId
            ? `explain image: no build report for ${imageId}: it was not built in this store (imported or loaded images have none)`
            : 'explain: no build report in this store yet: run strata build first',
    );
  }
  const madeBy = new Map<Digest, MadeBy>();
  for (const s of report.steps) {
    if (!s.hit || s.key === 'pending') continue;
    const rec = await store.getCacheRecord<CacheRecord>(s.key);
    if (rec) madeBy.set(s.key, { buildId: rec.options.buildId, createdAt: rec.createdAt });
  }
  return explainView(report, madeBy);
}
