/**
 * BuildKit's Dockerfile integration tests (moby/buildkit frontend/dockerfile/*_test.go),
 * ported as data: every case in ./cases builds offline (FROM scratch or the local busybox)
 * into one shared store, through the CLI in-process, and checks what the Go test asserts.
 * Cases where strata deliberately behaves otherwise say so (`difference`) and assert
 * strata's behaviour instead; the summary lists them. Nothing is skipped.
 */
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { importBusybox } from '../../helpers/busybox-base.js';
import { requireRoot, requireTool, useTempDirs } from '../helpers/index.js';
import { ALL_CASES } from './cases/index.js';
import { runCase } from './run-case.js';
import { serveScratch } from './serve-scratch.js';

const tmp = useTempDirs('strata-bk-');
let root: string;
let work: string;
/** Cases that did what BuildKit's test asserts. */
const passed = new Set<number>();

let server: Server;
let httpBase: string;

beforeAll(async () => {
  requireRoot();
  requireTool('runc');
  root = await tmp();
  work = await tmp();
  server = serveScratch(() => work);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  httpBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await importBusybox(root);
});

afterAll(() => new Promise<void>((res) => server.close(() => res())));

afterAll(() => {
  const diffs = ALL_CASES.filter((c) => c.difference !== undefined);
  const lines = [
    `BuildKit Dockerfile tests: ${passed.size}/${ALL_CASES.length} pass, ${diffs.length} deliberate differences (listed)`,
    ...diffs.map((c) => `  - difference: ${c.file}/${c.go}: ${c.name}: ${c.difference}`),
  ];
  console.log(lines.join('\n'));
});

describe.concurrent('BuildKit Dockerfile tests', () => {
  for (const [i, c] of ALL_CASES.entries()) {
    const tags = [c.defect ? `defect ${c.defect}` : '', c.difference ? 'difference' : ''].filter(Boolean);
    const label = `${c.file}/${c.go}: ${c.name}${tags.length > 0 ? ` [${tags.join(', ')}]` : ''}`;
    it(label, async () => {
      const base = join(work, String(i));
      const dirs = {
        ctx: join(base, 'ctx'),
        tmp: join(base, 'tmp'),
        out: join(base, 'out'),
        http: `${httpBase}/${i}`,
        id: String(i),
      };
      await Promise.all([mkdir(dirs.ctx, { recursive: true }), mkdir(dirs.tmp, { recursive: true })]);
      await runCase(c, root, dirs);
      // Differences pass by asserting strata's own behaviour; they are counted apart.
      if (c.difference === undefined) passed.add(i);
    });
  }
});
