/**
 * What CI scripts read back from a build, as docker build gives it: --iidfile, --metadata-file
 * (buildx's keys), -f - (the Dockerfile from stdin, bounded), -q (only the image ID on stdout)
 * and the exit codes that `strata build --help` and the README document.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { strata, strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();
const DOCKERFILE = 'FROM busybox\nCOPY a.txt /a.txt\nLABEL stage=ci\nCMD ["cat", "/a.txt"]\n';

describe('build outputs for CI', () => {
  let root: string;
  let ctx: string;
  let out: string;
  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    out = await tmp();
    await importBusybox(root);
    ctx = await tmp();
    await writeFile(join(ctx, 'a.txt'), 'a\n');
    await writeFile(join(ctx, 'Dockerfile'), DOCKERFILE);
  });

  it('-q prints only the image ID; --iidfile holds the same ID without a newline', async () => {
    const iid = join(out, 'iid');
    const r = await strataOk(['build', '--root', root, '-q', '--iidfile', iid, '-t', 'ci/app:1', ctx]);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(r.stderr).toBe('');
    const id = r.stdout.trim();
    expect(await readFile(iid, 'utf8')).toBe(id);
    const inspected = await strataOk(['inspect', '--root', root, '--format', '{{.Id}}', 'ci/app:1']);
    expect(inspected.stdout.trim()).toBe(id);
  });

  it('--metadata-file names the config, the manifest an OCI export writes and the image', async () => {
    const meta = join(out, 'meta.json');
    const layout = join(out, 'layout');
    const r = await strataOk([
      'build',
      '--root',
      root,
      '-q',
      '--metadata-file',
      meta,
      '-t',
      'ci/app:2',
      '--output',
      `type=oci-dir,dest=${layout}`,
      ctx,
    ]);
    const m = JSON.parse(await readFile(meta, 'utf8'));
    expect(m['containerimage.config.digest']).toBe(r.stdout.trim());
    expect(m['image.name']).toBe('docker.io/ci/app:2');
    expect(m['strata.build.id']).toMatch(/^[0-9a-f]+$/);
    expect(m['buildx.build.ref']).toBeUndefined();
    // The digest is the manifest the OCI export wrote, and the descriptor is true to its bytes.
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    expect(m['containerimage.digest']).toBe(index.manifests[0].digest);
    const d = m['containerimage.descriptor'];
    expect(d.digest).toBe(m['containerimage.digest']);
    expect(d.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const bytes = await readFile(join(layout, 'blobs', 'sha256', d.digest.slice(7)));
    expect(d.size).toBe(bytes.length);
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(d.digest);
    expect(JSON.parse(bytes.toString()).config.digest).toBe(m['containerimage.config.digest']);
  });

  it('-f - builds the Dockerfile given on stdin, to the image the file gives', async () => {
    const fromFile = (await strataOk(['build', '--root', root, '-q', ctx])).stdout.trim();
    const fromStdin = await strataOk(['build', '--root', root, '-q', '-f', '-', ctx], { stdin: DOCKERFILE });
    expect(fromStdin.stdout.trim()).toBe(fromFile);
    // A different Dockerfile on stdin is what is built, not the context's own.
    const other = await strataOk(
      ['build', '--root', root, '-q', '-f', '-', '--iidfile', join(out, 'o'), ctx],
      {
        stdin: 'FROM busybox\nCOPY a.txt /b.txt\n',
      },
    );
    expect(other.stdout.trim()).not.toBe(fromFile);
    const [img] = JSON.parse((await strataOk(['inspect', '--root', root, other.stdout.trim()])).stdout);
    expect(img.Config.Cmd).not.toEqual(['cat', '/a.txt']);
    // Errors name it as stdin.
    const bad = await strata(['build', '--root', root, '-f', '-', ctx], { stdin: 'FROM busybox\nBOGUS x\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('<stdin>:2');
  });

  it('-f - refuses a stdin that does not end (bounded like a file)', async () => {
    let sent = 0;
    const endless = new Readable({
      read() {
        sent += 1 << 20;
        this.push(Buffer.alloc(1 << 20, 0x23));
      },
    });
    const r = await strata(['build', '--root', root, '-f', '-', ctx], { stdin: endless });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('dockerfile from stdin: more than the 16777216 bytes allowed');
    expect(sent).toBeLessThan(20 << 20);
  });

  it('exit codes are in build --help and the README, and a failing RUN exits 5', async () => {
    const help = (await strataOk(['build', '--help'])).stdout;
    const readme = await readFile(join(__dirname, '../../README.md'), 'utf8');
    for (const [n, what] of [
      [1, 'the Dockerfile does not parse'],
      [2, 'bad flags or input'],
      [3, 'a file, image or context that is not there'],
      [5, 'a RUN step exited non-zero'],
      [9, 'a registry or credential helper failed or refused'],
      [70, 'a bug in strata'],
    ] as const) {
      expect(help).toMatch(new RegExp(`^ +${n} ${what}`, 'm'));
      expect(readme).toMatch(new RegExp(`^\\| ${n} +\\| ${what}`, 'm'));
    }
    const fail = await tmp();
    await writeFile(join(fail, 'Dockerfile'), 'FROM busybox\nRUN exit 3\n');
    const r = await strata(['build', '--root', root, '-q', fail]);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
  });

  it('--progress=rawjson: every stderr line is a BuildKit SolveStatus; logs, cache and the image are in it', async () => {
    const run = await tmp();
    await writeFile(join(run, 'Dockerfile'), 'FROM busybox\nRUN echo hello-from-rawjson\n');
    const parse = (stderr: string) =>
      stderr
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
    const layout = join(out, 'raw-layout');
    const first = await strataOk([
      'build',
      '--root',
      root,
      '--progress=rawjson',
      '-t',
      'ci/raw:1',
      '--output',
      `type=oci-dir,dest=${layout}`,
      run,
    ]);
    const statuses = parse(first.stderr);
    const vertexes = statuses.flatMap((s) => s.vertexes ?? []);
    const runVertex = vertexes.find((v) => v.name.includes('RUN echo hello-from-rawjson') && v.completed);
    expect(runVertex).toBeDefined();
    expect(runVertex.cached).toBeUndefined();
    expect(Date.parse(runVertex.completed)).toBeGreaterThanOrEqual(Date.parse(runVertex.started));
    const logs = statuses.flatMap((s) => s.logs ?? []).filter((l) => l.vertex === runVertex.digest);
    expect(logs.map((l) => Buffer.from(l.data, 'base64').toString()).join('')).toContain(
      'hello-from-rawjson',
    );
    expect(
      statuses
        .flatMap((s) => s.statuses ?? [])
        .some((x) => x.vertex === runVertex.digest && /^CACHE MISS: /.test(x.name)),
    ).toBe(true);
    expect(vertexes.some((v) => v.name === 'naming to docker.io/ci/raw:1')).toBe(true);
    // The export is a vertex with its own start and end.
    const exp = vertexes.filter((v) => v.name === `exporting oci-dir to ${layout}`);
    expect(exp.map((v) => Boolean(v.completed))).toEqual([false, true]);
    const again = parse((await strataOk(['build', '--root', root, '--progress=rawjson', run])).stderr);
    const cached = again.flatMap((s) => s.vertexes ?? []).filter((v) => v.name.startsWith('['));
    expect(cached.length).toBeGreaterThan(0);
    expect(cached.every((v) => v.cached === true)).toBe(true);
  });
});
