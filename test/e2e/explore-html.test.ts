/**
 * The explorer page in a real browser, opened from file:// (no network): for the seed app
 * (its busybox copy, built with Dockerfile.good) and for a 100,000-file image. Checked in
 * the DOM after the script ran (layers listed, a deleted file marked, the wasted-space
 * figure) and in screenshots (the colours of those marks), with page weight and time to
 * first paint printed. Screenshots are kept; their paths are printed.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { WhiteoutMaker } from '../../core/fs/overlay-form.js';
import { Store } from '../../store/index.js';
import { strataOk } from '../helpers/cli.js';
import { CHROMIUM, chromiumFlags, countColour, decodePng, requireChromium } from './helpers/chromium.js';
import { makeBusyboxRootfs, makeStoreImage, requireRoot, requireTool, useTempDirs } from './helpers/index.js';

const run = promisify(execFile);
const SEED = fileURLToPath(new URL('../samples/seed-busybox/', import.meta.url));
const tempDir = useTempDirs('strata-explore-html-');
const DELETED_BG = '#fde2e1';
const WASTE_BG = '#fdecc8';
const N_DIRS = 1000;
const PER_DIR = 100;

let dir: string;
let root: string;
/** Screenshots outlive the run (like graph-html.test.ts's), so a person can look at them. */
let shots: string;

/** Opens `url` and returns the DOM after the script ran, and the wall time Chromium took. */
async function dom(url: string, profile: string): Promise<{ dom: string; ms: number }> {
  const t0 = performance.now();
  const { stdout } = await run(
    CHROMIUM,
    [...chromiumFlags(join(dir, profile)), '--virtual-time-budget=20000', '--dump-dom', url],
    { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
  );
  return { dom: stdout, ms: Math.round(performance.now() - t0) };
}

async function screenshot(url: string, png: string, profile: string): Promise<ReturnType<typeof decodePng>> {
  await run(
    CHROMIUM,
    [...chromiumFlags(join(dir, profile)), '--virtual-time-budget=20000', `--screenshot=${png}`, url],
    { timeout: 120_000 },
  );
  console.log(`explore screenshot: ${png}`);
  return decodePng(await readFile(png));
}

async function report(page: string, what: string, d: string, wallMs: number): Promise<void> {
  const size = (await stat(page)).size;
  const fcp = /data-fcp-ms="(\d+)"/.exec(d)?.[1];
  const tree = /data-tree-ms="(\d+)"/.exec(d)?.[1];
  console.log(
    `explore page for ${what}: ${(size / 1e6).toFixed(2)} MB; first contentful paint ${fcp ?? 'not reported'} ms, ` +
      `tree painted at ${tree} ms after navigation start; chromium run ${wallMs} ms`,
  );
}

beforeAll(async () => {
  requireRoot();
  requireTool('runc');
  requireChromium();
  dir = await tempDir();
  shots = await mkdtemp(join(tmpdir(), 'strata-explore-shots-'));
  root = join(dir, 'root');
  const store = await Store.open(root);
  await makeStoreImage(store, [makeBusyboxRootfs], { tag: 'busybox:latest' });
  // The seed app, as the demo builds it.
  await cp(SEED, join(dir, 'app'), { recursive: true });
  const app = join(dir, 'app');
  await strataOk(['build', '--root', root, '-q', '-t', 'i17-seed:good', '-f', `${app}/Dockerfile.good`, app]);
  // 100,000 files in 1,000 directories over busybox; then a layer that deletes one file and
  // one whole directory and changes the mode of a third.
  await makeStoreImage(
    store,
    [
      makeBusyboxRootfs,
      async (d) => {
        for (let i = 0; i < N_DIRS; i++) {
          const sub = join(d, 'srv', `d${String(i).padStart(4, '0')}`);
          mkdirSync(sub, { recursive: true });
          for (let j = 0; j < PER_DIR; j++)
            writeFileSync(join(sub, `f${String(j).padStart(2, '0')}.txt`), `${i}/${j}\n`);
        }
      },
      async (d) => {
        mkdirSync(join(d, 'srv/d0000'), { recursive: true });
        mkdirSync(join(d, 'srv/d0002'), { recursive: true });
        const wh = new WhiteoutMaker(d);
        try {
          await wh.make(join(d, 'srv/d0000/f00.txt'));
          await wh.make(join(d, 'srv/d0001'));
        } finally {
          wh.dispose();
        }
        writeFileSync(join(d, 'srv/d0002/f00.txt'), '2/0\n', { mode: 0o755 });
      },
    ],
    { tag: 'i17-many:1' },
  );
}, 600_000);

describe('strata explore page in headless Chromium', () => {
  it('the seed app: layers with their Dockerfile lines and cache story, and the waste of COPY . .', async () => {
    const page = join(dir, 'seed.html');
    await strataOk(['explore', '--root', root, '-o', page, 'i17-seed:good']);
    const url = `file://${page}#layer=5&open=/app&changes=1`;
    const { dom: d, ms } = await dom(url, 'p-seed');
    await report(page, 'the seed app', d, ms);
    // Rendered; every layer listed with its instruction, line and cache story.
    for (const text of [
      'data-rendered="true"',
      '>5. COPY . .</div>',
      '>4. RUN sh -c',
      '>3. COPY package.json package-lock.json ./</div>',
      'line 5 · ',
      'cache miss: no earlier build of this step',
    ])
      expect(d).toContain(text);
    // COPY . . writes package.json again: the first copy is waste, named with its step.
    expect(d).toMatch(/id="waste">wasted \d+B of [\d.]+MB · efficiency [\d.]+%</);
    expect(d).toMatch(
      /\/app\/package\.json: written by layer 3 \(line 3: COPY package\.json package-lock\.json \.\/\), overwritten by layer 5 \(line 5: COPY \. \.\)/,
    );
    expect(d).toMatch(/<div class="row st-modified" data-path="\/app\/package.json"/);
    const img = await screenshot(url, join(shots, 'seed.png'), 'p-seed-shot');
    expect(countColour(img, WASTE_BG)).toBeGreaterThan(2000);
  });

  it('a 100,000-file image opens fast, lists its layers, marks the deleted file and shows the waste', async () => {
    const page = join(dir, 'many.html');
    const t0 = performance.now();
    await strataOk(['explore', '--root', root, '-o', page, 'i17-many:1']);
    console.log(`explore of the 100,000-file image took ${Math.round(performance.now() - t0)} ms`);
    const url = `file://${page}#layer=3&open=/srv,/srv/d0000`;
    const { dom: d, ms } = await dom(url, 'p-many');
    await report(page, 'a 100,000-file image', d, ms);
    expect((await stat(page)).size).toBeLessThan(8e6);
    expect(Number(/data-tree-ms="(\d+)"/.exec(d)?.[1])).toBeLessThan(10_000);
    for (const n of [1, 2, 3]) expect(d).toContain(`data-layer="${n}"`);
    expect(d).toContain('>2. test layer 1</div>');
    expect(d).toContain('+101001 ~0 -0'); // layer 2: /srv, 1,000 dirs, 100,000 files
    expect(d).toContain('+0 ~1 -102'); // layer 3: a file, a dir of 100 and the dir itself
    expect(d).toMatch(
      /<div class="row st-deleted" data-path="\/srv\/d0000\/f00.txt"[^>]*><span class="twisty"> <\/span><span class="name">f00.txt<\/span><span class="status">deleted \(whiteout\)<\/span>/,
    );
    expect(d).toMatch(/<div class="row st-deleted" data-path="\/srv\/d0001"/);
    expect(d).toMatch(/id="waste">wasted \d+B of [\d.]+MB · efficiency [\d.]+%</); // 101 files deleted, one rewritten
    // Only the opened directories were decompressed: one row per file of d0000, none of d0003.
    expect(d.match(/data-path="\/srv\/d0000\/f/g)).toHaveLength(PER_DIR);
    expect(d).not.toContain('data-path="/srv/d0003/f');
    const img = await screenshot(url, join(shots, 'many.png'), 'p-many-shot');
    expect(countColour(img, DELETED_BG)).toBeGreaterThan(1000);
    expect(countColour(img, WASTE_BG)).toBeGreaterThan(2000);
  });
});
