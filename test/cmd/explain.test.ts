import { describe, expect, it } from 'vitest';
import { makeReport, saveReport } from '../../core/exec/build-report.js';
import { emptyImageConfig } from '../../core/plan/planner.js';
import { freshStore, plan, pretendExecuted } from '../core/views/plan-fixture.js';
import { strata } from '../helpers/cli.js';

const DF = 'FROM busybox\nWORKDIR /app\nARG V=1\nCOPY . .\nRUN echo $V\n';

/** Two builds in one store, the second with index.js edited and V=2; the image tagged app:v2. */
async function storeWithTwoBuilds() {
  const store = await freshStore();
  const p1 = await plan(store, DF, { 'index.js': '1' }, { buildId: 'b1' });
  const idx = await pretendExecuted(store, p1);
  await saveReport(store, makeReport(p1, { startedAt: '2026-03-01T10:00:00Z', dryRun: false, tags: [] }));
  const p2 = await plan(
    store,
    DF,
    { 'index.js': '2' },
    { buildId: 'b2', stepIndex: idx, buildArgs: { V: '2' } },
  );
  const { digest: imageId } = await store.putBlob(JSON.stringify(emptyImageConfig('linux/amd64')));
  await store.setRef('docker.io/library/app:v2', { config: imageId });
  await saveReport(
    store,
    makeReport(p2, { startedAt: '2026-03-02T10:00:00Z', dryRun: false, tags: [], imageId }),
  );
  return { root: store.root, imageId, p2 };
}

describe('strata explain', () => {
  it('prints each step HIT or MISS with the planner reason, for the last build and by image name', async () => {
    const { root, imageId, p2 } = await storeWithTwoBuilds();
    const r = await strata(['explain', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '  HIT  [2/4] WORKDIR /app  (line 2)\n       cache hit: made by build b1 at 2026-03-01 10:00:00Z\n',
    );
    expect(r.stdout).toContain(
      '  MISS [arg] ARG V=1  (line 3)\n       cache miss (args): a build arg changed: V changed ',
    );
    expect(r.stdout).toContain(
      '  MISS [3/4] COPY . .  (line 4)\n       cache miss (parent): the parent changed: cascade from [arg] ARG V=1, which missed\n',
    );
    expect(r.stdout).toContain('4 steps: 1 hit, 3 missed (args 1, parent 2)\n');
    for (const s of p2.stages[0].steps) expect(r.stdout).toContain(s.decision.reason);
    const byName = await strata(['explain', '--root', root, 'app:v2']);
    expect(byName.stdout).toBe(r.stdout);
    expect(byName.stdout).toContain(`image ${imageId}\n`);
  });

  it('--json gives the structured view', async () => {
    const { root, imageId } = await storeWithTwoBuilds();
    const r = await strata(['explain', '--root', root, '--json', imageId.slice(7, 19)]);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.buildId).toBe('b2');
    expect(v.imageId).toBe(imageId);
    expect(
      v.steps.map((s: { kind: string; hit: boolean; cause?: string }) => [s.kind, s.hit, s.cause ?? null]),
    ).toEqual([
      ['workdir', true, null],
      ['arg', false, 'args'],
      ['copy', false, 'parent'],
      ['run', false, 'parent'],
    ]);
    expect(v.steps[0].madeBy.buildId).toBe('b1');
    expect(v.summary).toEqual({ steps: 4, hits: 1, misses: 3, byCause: { args: 1, parent: 2 } });
  });

  it('exit 3 with a clear message when nothing was built; exit 2 on a bad flag', async () => {
    const store = await freshStore();
    const r = await strata(['explain', '--root', store.root]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no build report in this store yet: run strata build first');
    expect((await strata(['explain', '--root', store.root, '--max-details', 'x'])).code).toBe(2);
  });
});
