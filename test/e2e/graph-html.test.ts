/**
 * The HTML build picture in a real browser: Debian's headless Chromium loads the file (no
 * network), runs its script, and we check what the page then shows (DOM dump) and what it
 * looks like (screenshot PNG, decoded here and searched for the miss and cascade colours).
 * The screenshot is kept; its path is printed so a person can look at it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { STATUS_COLORS } from '../../core/views/graph-colors.js';
import { graphModel, renderHtml } from '../../core/views/index.js';
import { freshStore, plan, pretendExecuted } from '../core/views/plan-fixture.js';
import { CHROMIUM, chromiumFlags, countColour, decodePng, requireChromium } from './helpers/chromium.js';

const run = promisify(execFile);

const DF = `FROM busybox AS build
WORKDIR /src
COPY . .
RUN make
FROM scratch
COPY --from=build /out/app /app
ENV A=1
CMD ["/app"]
`;

describe('strata graph HTML in headless Chromium', () => {
  let dir: string;
  let page: string;

  beforeAll(async () => {
    requireChromium();
    const store = await freshStore();
    const p1 = await plan(store, DF, { 'index.js': 'a' }, { buildId: 'b1' });
    const idx = await pretendExecuted(store, p1, { 'WORKDIR /src': 4096 });
    const p2 = await plan(store, DF, { 'index.js': '// a comment\na' }, { buildId: 'b2', stepIndex: idx });
    dir = await mkdtemp(join(tmpdir(), 'strata-graph-html-'));
    page = join(dir, 'graph.html');
    await writeFile(
      page,
      renderHtml(graphModel(p2, new Map([[p2.stages[0].steps[0].key as `sha256:${string}`, 4096]]))),
    );
  });

  it('after its script runs, the page shows the stages, the step labels, the colours and the reason', async () => {
    const { stdout: dom } = await run(
      CHROMIUM,
      [...chromiumFlags(join(dir, 'profile-dom')), '--dump-dom', `file://${page}`],
      { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
    );
    expect(dom).toContain('data-rendered="true"');
    expect(dom).toContain('>stage build</text>');
    expect(dom).toContain('>stage stage-1</text>');
    expect(dom).toContain('>[build 3/4] COPY . .</text>');
    // Long labels are clipped in the box; the hover title keeps them whole.
    expect(dom).toContain('>[stage-1 1/1] COPY --from=build /out/app…</text>');
    expect(dom).toContain(
      "<title>[stage-1 1/1] COPY --from=build /out/app /app\ndecided after stage build runs: this step's key reads its result</title>",
    );
    for (const status of ['hit', 'miss', 'cascade', 'pending', 'meta', 'base'])
      expect(dom).toContain(`class="node ${status}"`);
    expect(dom.match(/class="node miss"/g)).toHaveLength(1);
    expect(dom).toContain(
      'id="summary">6 steps: 1 hit, 1 miss, 1 cascade, 1 decided after the stage they read runs, 2 metadata</div>',
    );
    // The side panel opens on the first miss, with its reason and the changed file.
    expect(dom).toMatch(
      /<p class="reason">COPY\/ADD sources changed: changed index\.js<\/p><ul><li>changed index\.js \([0-9a-f]{12} -&gt; [0-9a-f]{12}\)<\/li>/,
    );
    // The hover text (SVG <title>) carries the reason too.
    expect(dom).toContain(
      '<title>[build 4/4] RUN make\nthe parent changed: cascade from [build 3/4] COPY . ., which missed</title>',
    );
  });

  it('the screenshot shows the miss, cascade and hit colours', async () => {
    const png = join(dir, 'graph.png');
    await run(
      CHROMIUM,
      [...chromiumFlags(join(dir, 'profile-shot')), `--screenshot=${png}`, `file://${page}`],
      {
        timeout: 60_000,
      },
    );
    console.log(`graph screenshot: ${png}`);
    const img = decodePng(await readFile(png));
    expect([img.width, img.height]).toEqual([1400, 1000]);
    // Two miss boxes of 320x40 and more: thousands of pixels in the miss fill.
    expect(countColour(img, STATUS_COLORS.miss.fill)).toBeGreaterThan(2 * 200 * 25);
    expect(countColour(img, STATUS_COLORS.cascade.fill)).toBeGreaterThan(200 * 25);
    expect(countColour(img, STATUS_COLORS.hit.fill)).toBeGreaterThan(200 * 25);
  });
});
