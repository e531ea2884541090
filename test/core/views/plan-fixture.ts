/**
 * Real plans from the real planner, without running anything: a Dockerfile is parsed and
 * converted, base images and context checksums are faked, and "running" a plan means writing
 * the cache records (and, for chosen steps, a layer) the executor would have written.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootKey } from '../../../core/cache/cache-key.js';
import type { Digest } from '../../../core/oci/digest.js';
import { chainId, sha256 } from '../../../core/oci/digest.js';
import { decidePending, emptyImageConfig, planBuild } from '../../../core/plan/planner.js';
import type { CacheRecord, Plan } from '../../../core/plan/types.js';
import { parse, toGraph } from '../../../frontend/index.js';
import { Store } from '../../../store/store.js';

export const BASE_ID = sha256('busybox-config');

export async function freshStore(): Promise<Store> {
  return Store.open(await mkdtemp(join(tmpdir(), 'strata-views-')));
}

/** The context as the planner sees it: path -> content (checksummed with sha256). */
export type Context = Record<string, string>;

export async function plan(
  store: Store,
  dockerfile: string,
  ctx: Context,
  o: { buildId: string; stepIndex?: Record<string, Digest>; buildArgs?: Record<string, string> },
): Promise<Plan> {
  const parsed = parse(dockerfile, { file: 'Dockerfile' });
  const graph = toGraph(parsed, {
    file: 'Dockerfile',
    buildArgs: o.buildArgs,
    targetPlatform: 'linux/amd64',
    buildPlatform: 'linux/amd64',
  });
  const planned = await planBuild(graph, {
    store,
    dockerfilePath: '/ctx/Dockerfile',
    buildId: o.buildId,
    noCache: false,
    platform: 'linux/amd64',
    resolveImage: async () => ({
      id: BASE_ID,
      state: { config: emptyImageConfig('linux/amd64'), chain: [] },
    }),
    checksumSources: async (_step, sources) => {
      const files = Object.entries(ctx)
        .filter(([p]) => sources.includes('.') || sources.includes(p))
        .map(([path, body]) => ({ path, digest: sha256(body) }))
        .sort((a, b) => a.path.localeCompare(b.path));
      return { digest: sha256(JSON.stringify(files)), files };
    },
    checksumResult: fakeResult,
    isNamedDir: () => false,
    stepIndex: o.stepIndex ?? {},
  });
  // The lists the planner staged go into the store now (pretendExecuted names them in the
  // records it writes): a plan that is only looked at leaves no ingest file open behind.
  for (const st of planned.stages)
    for (const p of st.steps) {
      const staged = await p.filesStaged;
      if (staged === undefined) continue;
      const digest = await staged.publish();
      p.filesStaged = Promise.resolve({ digest, publish: async () => digest, discard: async () => {} });
    }
  return planned;
}

/**
 * Writes what executing `p` would leave: a record per step (with its files blob for COPY) and,
 * for steps listed in `layers` (by progress-label substring), a one-file layer of that size.
 * Returns the step index to pass to the next plan.
 */
export async function pretendExecuted(
  store: Store,
  p: Plan,
  layers: Record<string, number> = {},
): Promise<Record<string, Digest>> {
  const index: Record<string, Digest> = {};
  let parent: Digest | undefined;
  const finalKeys = new Map<number, Digest>();
  for (const ps of p.stages) {
    // What the executor does for a pending key: decide it once the stages it reads "ran".
    if (ps.rootKey === undefined && ps.stage.base.kind === 'stage')
      ps.rootKey = rootKey({ stage: finalKeys.get(ps.stage.base.index) as Digest }, 'linux/amd64');
    let key = ps.rootKey as Digest;
    let firstMiss: (typeof ps.steps)[number] | undefined;
    for (const s of ps.steps) {
      if (s.pending) await decidePending(s, key, firstMiss, async () => [], keyer(store, index));
      if (!s.decision.hit) firstMiss ??= s;
      key = s.chainKey as Digest;
      if (!s.key) throw new Error('pretendExecuted: a step is still pending');
      index[s.stepOptions.stepId] = s.key;
      if (s.decision.hit) continue;
      const rec: CacheRecord = {
        key: s.key,
        version: 1,
        createdAt: '2026-03-01T10:00:00.000Z',
        keyInputs: s.keyInputs,
        result: { created: '2026-03-01T10:00:00Z' },
        options: s.stepOptions,
      };
      // The list the planner staged, published as the executor does.
      const list = await s.filesStaged;
      s.filesStaged = undefined;
      if (list) rec.filesBlob = await list.publish();
      const size = Object.entries(layers).find(([label]) => s.name.includes(label))?.[1];
      if (size !== undefined) {
        const staged = await store.makeStagingDir();
        await writeFile(join(staged, 'f'), s.key);
        const diffId = sha256(`diff ${s.key}`);
        const cid = chainId(parent, diffId);
        await store.commitLayer(staged, { chainId: cid, diffId, parent, size });
        rec.result.chainId = cid;
        rec.result.diffId = diffId;
        parent = cid;
      }
      await store.putCacheRecord(rec);
    }
    finalKeys.set(ps.stage.index, key);
  }
  return index;
}

function keyer(store: Store, stepIndex: Record<string, Digest>) {
  return { store, noCache: false, stepIndex, checksumResult: fakeResult };
}

/** A stage's result as the fixture sees it: the same content whatever the stage did. */
async function fakeResult(_chain: Digest[], sources: string[]) {
  return { digest: sha256(JSON.stringify(sources)), files: [] };
}
