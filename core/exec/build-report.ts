/**
 * What one build decided and made, kept in the store (meta/build-<id>.json) so
 * `strata explain IMAGE`, `strata layers` and `strata graph` can show a past build's
 * reasons without re-planning. `meta/image-<id>.json` points an image at the build that
 * made it last.
 */

import type { Store } from '../../store/store.js';
import { type Digest, sha256 } from '../oci/digest.js';
import type { MissCause, Plan } from '../plan/types.js';
import type { BuildResult } from './executor.js';

export interface StepReport {
  stage: string;
  stageIndex: number;
  /** Progress label, `[stage 2/5] COPY . .` */
  name: string;
  instruction: string;
  kind: string;
  line: number;
  /** 'pending' in a dry run's report, for a step whose key waits for another stage's result. */
  key: Digest | 'pending';
  parentKey: Digest;
  hit: boolean;
  cause?: MissCause;
  reason: string;
  details: string[];
  /** The layer this step made or reused, if any. */
  diffId?: Digest;
  chainId?: Digest;
}

export interface StageReport {
  index: number;
  label: string;
  base: string;
  /** Stages this stage reads from (base stage, COPY --from, RUN --mount from=). */
  deps: number[];
}

export interface BuildReport {
  buildId: string;
  file: string;
  startedAt: string;
  finishedAt?: string;
  dryRun: boolean;
  imageId?: Digest;
  tags: string[];
  stages: StageReport[];
  steps: StepReport[];
}

export function makeReport(
  plan: Plan,
  o: { startedAt: string; dryRun: boolean; tags: string[]; imageId?: Digest; result?: BuildResult },
): BuildReport {
  const steps: StepReport[] = [];
  for (const ps of plan.stages) {
    for (const p of ps.steps) {
      const d = p.decision;
      steps.push({
        stage: ps.label,
        stageIndex: ps.stage.index,
        name: p.name,
        instruction: p.stepOptions.instruction,
        kind: p.step.instruction.kind,
        line: p.step.range.start.line,
        key: p.key ?? 'pending',
        parentKey: p.keyInputs.parent,
        hit: d.hit,
        cause: d.hit ? undefined : d.cause,
        reason: d.reason,
        details: d.hit ? [] : d.details,
        // A hit's layer is in the record planning read; a miss's record is made by the run.
        ...(d.hit && d.record.result.chainId
          ? { diffId: d.record.result.diffId, chainId: d.record.result.chainId }
          : {}),
      });
    }
  }
  return {
    buildId: plan.buildId,
    file: plan.graph.file,
    startedAt: o.startedAt,
    finishedAt: o.dryRun ? undefined : new Date().toISOString(),
    dryRun: o.dryRun,
    imageId: o.imageId,
    tags: o.tags,
    stages: plan.stages.map((s) => ({
      index: s.stage.index,
      label: s.label,
      base: s.baseDescription,
      deps: s.stage.deps,
    })),
    steps,
  };
}

/** Fills in the layer of each step that ran from the cache record its run made. */
export async function attachLayers(store: Store, report: BuildReport): Promise<void> {
  for (const s of report.steps) {
    if (s.key === 'pending' || s.hit) continue;
    const rec = await store.getCacheRecord<{ key: Digest; result: { diffId?: Digest; chainId?: Digest } }>(
      s.key,
    );
    if (rec?.result.chainId) {
      s.chainId = rec.result.chainId;
      s.diffId = rec.result.diffId;
    }
  }
}

/**
 * What last-build.json and image-<id>.json hold: the build whose report is kept; in
 * last-build.json also the hash of its decisions (`same`) and how many reports the store has
 * written (`written`, report-retention.ts prunes every so many).
 */
export interface ReportPointer {
  buildId?: string;
  same?: string;
  written?: number;
}

/**
 * Keeps `report` as the last build's and, with an image, as that image's. A report that says
 * what the last kept one says (same steps, decisions and image; only the build id and times
 * differ: a no-op rebuild after a no-op rebuild) writes nothing, and `explain` keeps showing
 * the earlier, identical one. Returns how many reports the store has written counting this one,
 * or undefined when nothing was written.
 */
export async function saveReport(store: Store, report: BuildReport): Promise<number | undefined> {
  const { buildId, startedAt: _s, finishedAt: _f, ...decisions } = report;
  const same = sha256(JSON.stringify(decisions));
  const last = await readPointer(store, 'last-build.json');
  if (
    last?.same === same &&
    (report.imageId === undefined ||
      (await readPointer(store, `image-${report.imageId.slice(7)}.json`))?.buildId === last.buildId)
  )
    return undefined;
  // Two builds finishing at once may both write the same count: it only paces pruning.
  const written = (Number.isSafeInteger(last?.written) ? (last?.written as number) : 0) + 1;
  await store.writeMeta(`build-${buildId}.json`, JSON.stringify(report));
  await store.writeMeta('last-build.json', JSON.stringify({ buildId, same, written }));
  if (report.imageId)
    await store.writeMeta(`image-${report.imageId.slice(7)}.json`, JSON.stringify({ buildId }));
  return written;
}

/** A `{ buildId }` pointer file; undefined when missing or unreadable (it is only a pointer). */
export async function readPointer(store: Store, name: string): Promise<ReportPointer | undefined> {
  try {
    const data = await store.readMeta(name);
    return data ? (JSON.parse(data.toString()) as ReportPointer) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The report of the build that last made `imageId` (or of the last build): `report`, or why
 * there is none: nothing points at one (`buildId` undefined: the image was not built here), or
 * the pointer names a report that is gone (`buildId` set: pruned, report-retention.ts).
 */
export async function findReport(
  store: Store,
  imageId?: Digest,
): Promise<{ report?: BuildReport; buildId?: string }> {
  const ptr = await store.readMeta(imageId ? `image-${imageId.slice(7)}.json` : 'last-build.json');
  if (!ptr) return {};
  const { buildId } = JSON.parse(ptr.toString()) as { buildId: string };
  const data = await store.readMeta(`build-${buildId}.json`);
  return { buildId, report: data ? (JSON.parse(data.toString()) as BuildReport) : undefined };
}

/** The report of the build that last made `imageId`, or the last build when none is given. */
export async function loadReport(store: Store, imageId?: Digest): Promise<BuildReport | undefined> {
  return (await findReport(store, imageId)).report;
}
