/**
 * ADD <url> is keyed by what the server serves, as BuildKit keys an http source: one
 * conditional request per build (ETag / Last-Modified), 304 keeps the step CACHED without a
 * download, a changed file makes the ADD miss with the reason, and the executor uses the
 * very bytes the key was made from (one download, not two). With --checksum the key is
 * the checksum and a cached step asks the server nothing; one that misses asks through the
 * same fetcher, conditionally.
 */
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { buildToDir, stepOutcomes, strata, strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();
let server: Server;
let base: string;
let body = 'version 1\n';
const requests: { conditional: boolean; status: number }[] = [];

beforeAll(async () => {
  requireRoot();
  server = createServer((req, res) => {
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    const conditional = req.headers['if-none-match'] !== undefined;
    if (req.headers['if-none-match'] === etag) {
      requests.push({ conditional, status: 304 });
      res.writeHead(304, { etag }).end();
      return;
    }
    requests.push({ conditional, status: 200 });
    res.writeHead(200, { etag, 'last-modified': 'Tue, 03 Mar 2020 04:05:06 GMT' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server?.close(() => resolve())));

describe('ADD <url>', () => {
  it('asks once per build, hits on 304, misses when the file changed, and downloads once', async () => {
    const root = await tmp();
    await importBusybox(root);
    const ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), `FROM busybox\nADD ${base}/tool.sh /opt/tool.sh\nRUN true\n`);
    const build = async () => {
      const out = join(await tmp(), 'fs');
      const r = await buildToDir(root, ctx, out, ['--progress', 'plain']);
      return { steps: stepOutcomes(r.stderr), out };
    };

    requests.length = 0;
    const first = await build();
    expect(await readFile(join(first.out, 'opt/tool.sh'), 'utf8')).toBe('version 1\n');
    const st = await stat(join(first.out, 'opt/tool.sh'));
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.mtime.toISOString()).toBe('2020-03-03T04:05:06.000Z');
    // Planned and executed with one download.
    expect(requests).toEqual([{ conditional: false, status: 200 }]);

    requests.length = 0;
    const again = await build();
    expect(again.steps.every((s) => s.cached)).toBe(true);
    expect(requests).toEqual([{ conditional: true, status: 304 }]);

    body = 'version 2\n';
    requests.length = 0;
    const changed = await build();
    const add = changed.steps.find((s) => s.name.includes('ADD'));
    expect(add?.cached).toBe(false);
    expect(add?.reason).toMatch(
      new RegExp(
        `the file behind an ADD URL changed: ${base}/tool.sh: sha256:[0-9a-f]{12} -> sha256:[0-9a-f]{12}`,
      ),
    );
    // The cascade: the RUN after it misses too.
    expect(changed.steps.find((s) => s.name.includes('RUN'))?.cached).toBe(false);
    expect(await readFile(join(changed.out, 'opt/tool.sh'), 'utf8')).toBe('version 2\n');
    expect(requests).toEqual([{ conditional: true, status: 200 }]);
  });

  it('with --checksum: keyed by the checksum, a cached step asks nothing, a wrong one fails', async () => {
    const root = await tmp();
    await importBusybox(root);
    body = 'pinned\n';
    const sum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), `FROM busybox\nADD --checksum=${sum} ${base}/pinned /pinned\n`);
    requests.length = 0;
    await strataOk(['build', '--root', root, '-q', ctx]);
    expect(requests).toHaveLength(1);
    requests.length = 0;
    const r = await strataOk(['build', '--root', root, '--progress', 'plain', ctx]);
    expect(stepOutcomes(r.stderr).every((s) => s.cached)).toBe(true);
    expect(requests).toEqual([]);

    // A miss that comes from the parent asks again, conditionally: the body is unchanged
    // (304), so nothing is downloaded, and the layer holds the same bytes.
    await writeFile(
      join(ctx, 'Dockerfile'),
      `FROM busybox\nENV PARENT=changed\nADD --checksum=${sum} ${base}/pinned /pinned\n`,
    );
    requests.length = 0;
    const out = join(await tmp(), 'fs');
    const cascade = await buildToDir(root, ctx, out, ['--progress', 'plain']);
    expect(stepOutcomes(cascade.stderr).find((s) => s.name.includes('ADD'))?.cached).toBe(false);
    expect(requests).toEqual([{ conditional: true, status: 304 }]);
    expect(await readFile(join(out, 'pinned'), 'utf8')).toBe('pinned\n');

    const wrong = `sha256:${'0'.repeat(64)}`;
    await writeFile(
      join(ctx, 'Dockerfile'),
      `FROM busybox\nADD --checksum=${wrong} ${base}/pinned /pinned\n`,
    );
    const bad = await strata(['build', '--root', root, '-q', ctx]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`add: digest mismatch for ${base}/pinned: expected ${wrong}`);
  });
});
