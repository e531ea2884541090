import { describe, expect, it } from 'vitest';
import type { BuildReport, StepReport } from '../../../core/exec/build-report.js';
import { makeReport, saveReport } from '../../../core/exec/build-report.js';
import { NotFoundError } from '../../../core/oci/errors.js';
import { explainView, formatExplain, loadExplainView } from '../../../core/views/index.js';
import { freshStore, plan, pretendExecuted } from './plan-fixture.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as const;

function step(over: Partial<StepReport>): StepReport {
  return {
    stage: 'stage-0',
    stageIndex: 0,
    name: '[1/3] WORKDIR /app',
    instruction: 'WORKDIR /app',
    kind: 'workdir',
    line: 2,
    key: d('1'),
    parentKey: d('0'),
    hit: true,
    reason: 'cache hit: made by build b0 at 2026-01-01 00:00:00Z',
    details: [],
    ...over,
  };
}

const changed = Array.from(
  { length: 13 },
  (_, i) => `changed src/f${i}.js (${'a'.repeat(12)} -> ${'b'.repeat(12)})`,
);

const REPORT: BuildReport = {
  buildId: 'b1',
  file: 'Dockerfile.bad',
  startedAt: '2026-02-01T12:00:00.000Z',
  finishedAt: '2026-02-01T12:00:05.000Z',
  dryRun: false,
  imageId: d('9'),
  tags: ['docker.io/library/app:latest'],
  stages: [{ index: 0, label: 'stage-0', base: `busybox@${d('8')}`, deps: [] }],
  steps: [
    step({ chainId: d('c'), diffId: d('e') }),
    step({
      name: '[2/3] COPY . .',
      instruction: 'COPY . .',
      kind: 'copy',
      line: 3,
      key: d('2'),
      hit: false,
      cause: 'sources',
      reason: 'COPY/ADD sources changed: changed src/f0.js, changed src/f1.js and 11 more',
      details: changed,
    }),
    step({
      name: '[3/3] RUN npm install',
      instruction: 'RUN npm install',
      kind: 'run',
      line: 4,
      key: d('3'),
      hit: false,
      cause: 'parent',
      reason: 'the parent changed: cascade from [2/3] COPY . ., which missed',
    }),
    step({
      name: '[cmd] CMD ["node"]',
      instruction: 'CMD ["node"]',
      kind: 'cmd',
      line: 5,
      key: d('4'),
      hit: false,
      cause: 'args',
      reason: 'a build arg or env value changed: V changed "1" -> "2"',
      details: ['V changed "1" -> "2"'],
    }),
  ],
};

describe('explainView + formatExplain on a hand-made report', () => {
  const view = explainView(
    REPORT,
    new Map([[d('1'), { buildId: 'b0', createdAt: '2026-01-01T00:00:00.000Z' }]]),
  );

  it('summarises hits and misses by cause, and keeps who made each reused record', () => {
    expect(view.summary).toEqual({
      steps: 4,
      hits: 1,
      misses: 3,
      byCause: { sources: 1, parent: 1, args: 1 },
    });
    expect(view.steps[0].madeBy).toEqual({ buildId: 'b0', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(view.steps[1].madeBy).toBeUndefined();
    // The JSON form is the view itself: every report field survives a round trip.
    const json = JSON.parse(JSON.stringify(view));
    expect(json.steps.map((s: StepReport) => [s.line, s.hit, s.cause ?? null])).toEqual([
      [2, true, null],
      [3, false, 'sources'],
      [4, false, 'parent'],
      [5, false, 'args'],
    ]);
    expect(json.steps[1].details).toHaveLength(13);
    expect(json.imageId).toBe(d('9'));
  });

  it('prints every reason verbatim, details up to the limit, then a count', () => {
    const text = formatExplain(view);
    const lines = text.split('\n');
    expect(lines[0]).toBe('build b1 of Dockerfile.bad, started 2026-02-01T12:00:00.000Z');
    expect(lines[1]).toBe(`image ${d('9')} (docker.io/library/app:latest)`);
    expect(lines[2]).toBe(`stage stage-0 (from busybox@${d('8')})`);
    expect(lines).toContain('  HIT  [1/3] WORKDIR /app  (line 2)');
    expect(lines).toContain('       cache hit: made by build b0 at 2026-01-01 00:00:00Z');
    expect(lines).toContain('  MISS [2/3] COPY . .  (line 3)');
    expect(lines).toContain(
      '       cache miss (sources): COPY/ADD sources changed: changed src/f0.js, changed src/f1.js and 11 more',
    );
    expect(lines).toContain(`         - changed src/f9.js (${'a'.repeat(12)} -> ${'b'.repeat(12)})`);
    expect(lines).not.toContain(`         - changed src/f10.js (${'a'.repeat(12)} -> ${'b'.repeat(12)})`);
    expect(lines).toContain('         - ... and 3 more');
    expect(lines).toContain(
      '       cache miss (parent): the parent changed: cascade from [2/3] COPY . ., which missed',
    );
    expect(lines).toContain('         - V changed "1" -> "2"');
    expect(lines.at(-2)).toBe('4 steps: 1 hit, 3 missed (sources 1, parent 1, args 1)');
  });

  it('--max-details 2 and verbose keys', () => {
    const text = formatExplain(view, { maxDetails: 2, verbose: true });
    expect(text).toContain('         - ... and 11 more\n');
    expect(text).toContain(`       key ${d('2')}\n`);
    expect(text).toContain(`       layer ${d('c')} (diffID ${d('e')})\n`);
  });
});

describe('loadExplainView from a store', () => {
  const DF = 'FROM busybox\nWORKDIR /app\nCOPY . .\nRUN npm install\nCMD ["node", "index.js"]\n';

  it('reads the report of the last build and of an image, naming the build that made each hit', async () => {
    const store = await freshStore();
    const p1 = await plan(
      store,
      DF,
      { 'index.js': 'console.log(1)\n', 'package.json': '{}' },
      { buildId: 'b1' },
    );
    const idx = await pretendExecuted(store, p1);
    await saveReport(
      store,
      makeReport(p1, { startedAt: '2026-03-01T10:00:00Z', dryRun: false, tags: [], imageId: d('a') }),
    );
    const p2 = await plan(
      store,
      DF,
      { 'index.js': '// comment\nconsole.log(1)\n', 'package.json': '{}' },
      { buildId: 'b2', stepIndex: idx },
    );
    await saveReport(
      store,
      makeReport(p2, { startedAt: '2026-03-02T10:00:00Z', dryRun: false, tags: [], imageId: d('b') }),
    );

    const last = await loadExplainView(store);
    expect(last.buildId).toBe('b2');
    const [workdir, copy, run, cmd] = last.steps;
    expect(workdir.hit).toBe(true);
    expect(workdir.madeBy).toEqual({ buildId: 'b1', createdAt: '2026-03-01T10:00:00.000Z' });
    expect(copy.cause).toBe('sources');
    expect(copy.reason).toBe('COPY/ADD sources changed: changed index.js');
    expect(copy.details).toHaveLength(1);
    expect(copy.details[0]).toMatch(/^changed index\.js \([0-9a-f]{12} -> [0-9a-f]{12}\)$/);
    expect(run.cause).toBe('parent');
    expect(run.reason).toBe('the parent changed: cascade from [3/4] COPY . ., which missed');
    expect(cmd.cause).toBe('parent');
    const text = formatExplain(last);
    for (const s of p2.stages[0].steps) expect(text).toContain(s.decision.reason);

    const first = await loadExplainView(store, d('a'));
    expect(first.buildId).toBe('b1');
    const cascade = 'the parent changed: cascade from [2/4] WORKDIR /app, which missed';
    expect(first.steps.map((s) => [s.hit, s.cause, s.reason])).toEqual([
      [false, 'new', 'no earlier build of this step'],
      [false, 'parent', cascade],
      [false, 'parent', cascade],
      [false, 'parent', cascade],
    ]);
  });

  it('says plainly when there is no report', async () => {
    const store = await freshStore();
    await expect(loadExplainView(store)).rejects.toThrow(NotFoundError);
    await expect(loadExplainView(store, d('a'))).rejects.toThrow(
      /no build report for sha256:a+: it was not built in this store/,
    );
  });
});
