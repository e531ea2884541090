/**
 * Multi-platform builds end to end: one `strata build --platform linux/amd64,linux/arm64`
 * pushes an index Docker 20.10 pulls per platform (the arm64 image runs under QEMU), a
 * `FROM --platform=$BUILDPLATFORM` stage builds once for both targets, each platform keeps its
 * own cache, and a missing platform or an output that cannot hold two platforms is an error.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlatforms } from '../../core/exec/build-platforms.js';
import { Store } from '../../store/index.js';
import { importBusybox } from '../helpers/busybox-base.js';
import { stepOutcomes, strata, strataOk } from '../helpers/cli.js';
import { docker } from './helpers/docker.js';
import { importArm64Busybox, requireEmulation } from './helpers/foreign-busybox.js';
import { type RunningRegistry, startRegistry } from './helpers/registry.js';
import { requireDocker, requireRoot, requireTool } from './helpers/require.js';
import { useTempDirs } from './helpers/temp-dirs.js';

const run = promisify(execFile);
const tempDir = useTempDirs('strata-multi-');
const BOTH = 'linux/amd64,linux/arm64';

/** `strata build --root ROOT --platform linux/amd64,linux/arm64 ...args`, which must succeed. */
function buildBoth(root: string, ...args: string[]) {
  return strataOk(['build', '--root', root, '--platform', BOTH, ...args]);
}

/** A store whose busybox:latest holds linux/amd64 and linux/arm64. */
async function twoPlatformStore(): Promise<string> {
  const root = await tempDir();
  await importBusybox(root);
  await importArm64Busybox(root);
  return root;
}

async function context(files: Record<string, string>): Promise<string> {
  const dir = await tempDir();
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

beforeAll(async () => {
  requireRoot();
  await requireEmulation('linux/arm64');
});

describe('push to a registry', () => {
  let registry: RunningRegistry;
  const dockerRefs: string[] = [];
  beforeAll(async () => {
    requireDocker();
    registry = await startRegistry();
  });
  afterAll(async () => {
    if (dockerRefs.length > 0) await docker(['rmi', '-f', ...dockerRefs]).catch(() => {});
    await registry?.stop();
  });

  it('pushes an index; docker pulls each platform and the arm64 one runs under QEMU', async () => {
    const root = await twoPlatformStore();
    const ctx = await context({
      Dockerfile:
        'FROM busybox\nARG TARGETPLATFORM\nRUN echo "$TARGETPLATFORM" > /built-for\nCMD ["uname", "-m"]\n',
    });
    const ref = `${registry.host}/multi/uname:1`;
    const r = await buildBoth(root, '--progress', 'plain', '-t', ref, '--push', ctx);
    expect(r.stderr).toMatch(/\[linux\/arm64 \d\/\d\] RUN echo/);
    expect(r.stderr).toMatch(/\[linux\/amd64 \d\/\d\] RUN echo/);

    const skopeo = requireTool('skopeo');
    const raw = JSON.parse(
      (await run(skopeo, ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout,
    ) as {
      mediaType: string;
      manifests: { digest: string; platform: { os: string; architecture: string } }[];
    };
    expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(raw.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);

    // strata pull of each platform into a fresh store: the name ends up holding both.
    const puller = await tempDir();
    await strataOk(['pull', '--root', puller, '-q', '--platform', 'linux/arm64', ref]);
    await strataOk(['pull', '--root', puller, '-q', '--platform', 'linux/amd64', ref]);
    for (const arch of ['arm64', 'amd64']) {
      const seen = await strataOk([
        'inspect',
        '--root',
        puller,
        '--platform',
        `linux/${arch}`,
        '-f',
        '{{.Architecture}}',
        ref,
      ]);
      expect(seen.stdout.trim()).toBe(arch);
    }
    dockerRefs.push(ref);
    for (const [platform, machine] of [
      ['linux/arm64', 'aarch64'],
      ['linux/amd64', 'x86_64'],
    ]) {
      await docker(['pull', '--platform', platform, ref]);
      const { stdout: arch } = await docker(['image', 'inspect', '--format', '{{.Architecture}}', ref]);
      expect(arch.trim()).toBe(platform.split('/')[1]);
      const out = await docker(['run', '--rm', '--network', 'none', '--platform', platform, ref]);
      expect(out.stdout.trim()).toBe(machine);
      const built = await docker([
        'run',
        '--rm',
        '--network',
        'none',
        '--platform',
        platform,
        ref,
        'cat',
        '/built-for',
      ]);
      expect(built.stdout.trim()).toBe(platform);
    }
  });
  it('merges platforms pushed by separate jobs into one index without reading a layer (imagetools create)', async () => {
    const root = await twoPlatformStore();
    const ctx = await context({ Dockerfile: 'FROM busybox\nRUN uname -m > /m\nCMD ["cat", "/m"]\n' });
    // Two CI jobs: arm64 into the target repository, amd64 into another one.
    const arm = `${registry.host}/ci/app:arm64`;
    const amd = `${registry.host}/ci-amd/app:amd64`;
    await strataOk(['build', '--root', root, '-q', '--platform', 'linux/arm64', '-t', arm, '--push', ctx]);
    await strataOk(['build', '--root', root, '-q', '--platform', 'linux/amd64', '-t', amd, '--push', ctx]);
    // Every request strata makes goes through this proxy, so the test sees what was read.
    const seen: string[] = [];
    const [regHost, regPort] = registry.host.split(':');
    const proxy = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const up = httpRequest(
        { host: regHost, port: Number(regPort), method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', (err) => res.destroy(err));
      req.pipe(up);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const via = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const r = await strataOk([
        'imagetools',
        'create',
        '-t',
        `${via}/ci/app:1`,
        `${via}/ci/app:arm64`,
        `${via}/ci-amd/app:amd64`,
      ]);
      expect(r.stdout).toMatch(/ci\/app:1@sha256:/);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
    const skopeo = requireTool('skopeo');
    const inspectRaw = async (ref: string) =>
      JSON.parse((await run(skopeo, ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout);
    const index = await inspectRaw(`${registry.host}/ci/app:1`);
    expect(index.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(
      index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture),
    ).toEqual(['arm64', 'amd64']);
    // The same manifests the jobs pushed, digest for digest (skopeo --raw gives their bytes).
    const rawOf = async (ref: string) =>
      (await run(skopeo, ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout;
    const [armRaw, amdRaw] = [await rawOf(arm), await rawOf(amd)];
    const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
    expect(index.manifests.map((m: { digest: string }) => m.digest)).toEqual([
      digestOf(armRaw),
      digestOf(amdRaw),
    ]);
    const layers = [...JSON.parse(armRaw).layers, ...JSON.parse(amdRaw).layers].map(
      (l: { digest: string }) => l.digest,
    );
    // No layer was read: only manifests, the two configs (for their platforms), HEADs and mounts.
    for (const d of layers) expect(seen.filter((l) => l.startsWith('GET ') && l.includes(d))).toEqual([]);
    expect(seen.some((l) => l.startsWith('POST /v2/ci/app/blobs/uploads/?mount='))).toBe(true);
    // And it runs: docker pulls the arm64 entry and runs it under QEMU.
    const ref = `${registry.host}/ci/app:1`;
    dockerRefs.push(ref);
    await docker(['pull', '--platform', 'linux/arm64', ref]);
    const out = await docker(['run', '--rm', '--network', 'none', '--platform', 'linux/arm64', ref]);
    expect(out.stdout.trim()).toBe('aarch64');
  });
});

describe('cross-compile stages', () => {
  const DOCKERFILE = [
    '# The toolchain stage runs on the build machine whatever the target: one key for both.',
    'FROM --platform=$BUILDPLATFORM busybox AS toolchain',
    'RUN echo "toolchain on $(uname -m)" > /toolchain',
    '# Cross-compiling reads the target: one build per target, still on the build machine.',
    'FROM --platform=$BUILDPLATFORM toolchain AS cross',
    'ARG TARGETARCH',
    'COPY src.txt /src.txt',
    'RUN echo "$(cat /toolchain) for $TARGETARCH from $(cat /src.txt)" > /app',
    'FROM busybox',
    'COPY --from=cross /app /app',
    'RUN uname -m >> /app',
    '',
  ].join('\n');

  it('builds the $BUILDPLATFORM stage once for both targets (from the plan), the rest per target', async () => {
    const root = await twoPlatformStore();
    const ctx = await context({ Dockerfile: DOCKERFILE, 'src.txt': 'v1' });
    const store = await Store.open(root);
    const events: string[] = [];
    const out = await buildPlatforms(
      store,
      {
        contextDir: ctx,
        tags: ['cross:1'],
        buildArgs: {},
        // --no-cache: the shared stage is still built once per command.
        noCache: true,
        dryRun: false,
        secrets: [],
        env: process.env,
        progress: (e) => {
          if (e.type === 'info') events.push(e.message);
        },
      },
      ['linux/amd64', 'linux/arm64'],
    );
    const [amd, arm] = out.platforms;
    const stage = (o: typeof amd, label: string) => o.plan.stages.find((s) => s.label === label)!;
    // The toolchain stage: the same keys for both targets; arm64's plan takes every step from
    // what amd64 built in this command.
    const keysA = stage(amd, 'toolchain').steps.map((p) => p.key);
    expect(keysA.every((k) => k !== undefined)).toBe(true);
    expect(stage(arm, 'toolchain').steps.map((p) => p.key)).toEqual(keysA);
    expect(stage(amd, 'toolchain').steps.every((p) => !p.decision.hit)).toBe(true);
    expect(stage(arm, 'toolchain').steps.every((p) => p.decision.hit)).toBe(true);
    expect(arm.sharedFrom.get('toolchain')).toBe('linux/amd64');
    expect(stage(arm, 'toolchain').steps.at(-1)?.decision.reason).toMatch(
      /the same step as for another target of this build \(built once for linux\/amd64, shared\)/,
    );
    expect(events).toContain('stage toolchain: the same build as for linux/amd64 (built once, shared)');
    // The cross stage reads TARGETARCH: its own keys per target, both run.
    const crossA = stage(amd, 'cross').steps.map((p) => p.key);
    const crossB = stage(arm, 'cross').steps.map((p) => p.key);
    expect(crossA.some((k, i) => k === crossB[i])).toBe(false);
    expect(arm.sharedFrom.has('cross')).toBe(false);

    // What each target got: compiled on the build machine, the final RUN on the target.
    for (const [platform, arch, machine] of [
      ['linux/amd64', 'amd64', 'x86_64'],
      ['linux/arm64', 'arm64', 'aarch64'],
    ]) {
      const dest = await tempDir();
      await buildBoth(root, '-q', '-o', `type=local,dest=${dest},platform=${platform}`, ctx);
      expect(await readFile(join(dest, 'app'), 'utf8')).toBe(
        `toolchain on x86_64 for ${arch} from v1\n${machine}\n`,
      );
    }
    const ref = (await store.getRef('docker.io/library/cross:1'))!;
    expect(ref.platforms).toBeDefined();
    expect(Object.keys(ref.platforms!)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(ref.platforms?.['linux/amd64']).toBe(amd.imageId);
    expect(ref.platforms?.['linux/arm64']).toBe(arm.imageId);
  });

  it('keeps each platform its own cache: rebuilding one after an edit leaves the other CACHED', async () => {
    const root = await twoPlatformStore();
    const ctx = await context({ Dockerfile: DOCKERFILE, 'src.txt': 'v1' });
    await buildBoth(root, '--progress', 'plain', ctx);
    await writeFile(join(ctx, 'src.txt'), 'v2');
    // Only arm64 after the edit: its COPY and what follows miss, for the file's reason.
    const one = stepOutcomes(
      (await strataOk(['build', '--root', root, '--progress', 'plain', '--platform', 'linux/arm64', ctx]))
        .stderr,
    );
    const copy = one.find((s) => s.name.includes('COPY src.txt'))!;
    expect(copy.cached).toBe(false);
    expect(copy.reason).toMatch(/src\.txt/);
    expect(one.find((s) => s.name.includes('toolchain') && s.name.includes('RUN'))?.cached).toBe(true);
    // Both again: arm64 is all CACHED (built just now); amd64 misses from the edit only, and
    // says so rather than blaming the platform.
    const both = (await buildBoth(root, '--progress', 'plain', ctx)).stderr;
    const [amdPart, armPart] = both.split('building for linux/arm64');
    expect(
      stepOutcomes(armPart)
        .filter((s) => !s.name.includes(' arg]'))
        .every((s) => s.cached),
    ).toBe(true);
    const amd = stepOutcomes(amdPart);
    expect(amd.find((s) => s.name.includes('toolchain') && s.name.includes('RUN'))?.cached).toBe(true);
    const amdCopy = amd.find((s) => s.name.includes('COPY src.txt'))!;
    expect(amdCopy.cached).toBe(false);
    expect(amdCopy.reason).not.toMatch(/platform changed/);
  });

  it('exports one cache with every platform; a fresh store importing it plans only hits for both', async () => {
    const root = await twoPlatformStore();
    const ctx = await context({ Dockerfile: DOCKERFILE, 'src.txt': 'v1' });
    const cacheDir = join(await tempDir(), 'cache');
    await buildBoth(root, '-q', '--cache-to', `type=local,dest=${cacheDir}`, ctx);
    const fresh = await twoPlatformStore();
    const plan = await buildBoth(fresh, '--dry-run', '--cache-from', `type=local,src=${cacheDir}`, ctx);
    expect(plan.stdout).toMatch(/# linux\/arm64/);
    // Every step hits, or (COPY --from a stage that starts from a stage) is decided when that
    // stage's result exists: nothing would run.
    expect(plan.stdout).not.toMatch(/^\s+MISS/m);
    expect(plan.stdout.match(/^\s+HIT /gm)).toHaveLength(8);
    expect(plan.stdout.match(/steps would hit the cache/g)).toHaveLength(2);
  });

  it('explains a miss after a platform change as that', async () => {
    const root = await twoPlatformStore();
    const ctx = await context({ Dockerfile: 'FROM busybox\nRUN echo hi > /hi\n' });
    await strataOk(['build', '--root', root, '--progress', 'plain', '--platform', 'linux/arm64', ctx]);
    const next = stepOutcomes((await strataOk(['build', '--root', root, '--progress', 'plain', ctx])).stderr);
    expect(next[0].cached).toBe(false);
    expect(next[0].reason).toMatch(/the platform changed \(linux\/arm64 -> linux\/amd64\)/);
  });
});

describe('samples/cross-compile', () => {
  it('builds for both platforms: compiled on the build machine, the final RUN on each target', async () => {
    const root = await twoPlatformStore();
    const sample = fileURLToPath(new URL('../../samples/cross-compile', import.meta.url));
    for (const [platform, machine] of [
      ['linux/amd64', 'x86_64'],
      ['linux/arm64', 'aarch64'],
    ]) {
      const dest = await tempDir();
      await buildBoth(root, '-q', '-o', `type=local,dest=${dest},platform=${platform}`, sample);
      expect(await readFile(join(dest, 'etc/hello.txt'), 'utf8')).toBe(
        `hello from ${platform} (running on ${machine}); built by the toolchain running on x86_64\n`,
      );
    }
  });
});

describe('errors and outputs', () => {
  it('a base without the platform is an error naming the platforms it has', async () => {
    const root = await tempDir();
    await importBusybox(root);
    const ctx = await context({ Dockerfile: 'FROM busybox\nRUN true\n' });
    const r = await strata(['build', '--root', root, '--platform', 'linux/arm64', ctx], {
      env: { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/holds docker\.io\/library\/busybox:latest for linux\/amd64 only/);
  });

  it('writes an OCI index of both platforms; a docker archive of two is refused before building', async () => {
    const root = await twoPlatformStore();
    const ctx = await context({ Dockerfile: 'FROM busybox\nRUN uname -m > /m\n' });
    const refused = await strata([
      'build',
      '--root',
      root,
      '--platform',
      BOTH,
      '-o',
      'type=docker,dest=x.tar',
      ctx,
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/a docker archive holds one platform.*platform=linux\/arm64/);
    expect(refused.stderr).not.toMatch(/#\d/);
    const dir = await tempDir();
    await buildBoth(root, '-q', '-t', 'idx:1', '-o', `type=oci-dir,dest=${dir}/layout`, ctx);
    const skopeo = requireTool('skopeo');
    const top = JSON.parse((await run(skopeo, ['inspect', '--raw', `oci:${dir}/layout:1`])).stdout);
    expect(top.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(top.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture)).toEqual(
      ['amd64', 'arm64'],
    );
    const arm = JSON.parse(
      (await run(skopeo, ['inspect', '--override-arch', 'arm64', `oci:${dir}/layout:1`])).stdout,
    );
    expect(arm.Architecture).toBe('arm64');
    // One platform of the two as a docker archive Docker 20.10 loads.
    const tar = join(dir, 'arm.tar');
    await buildBoth(root, '-q', '-t', 'idx:1', '-o', `type=docker,dest=${tar},platform=linux/arm64`, ctx);
    const manifest = JSON.parse((await run('tar', ['xOf', tar, 'manifest.json'])).stdout);
    const config = JSON.parse((await run('tar', ['xOf', tar, manifest[0].Config])).stdout);
    expect(config.architecture).toBe('arm64');
    // The views take --platform.
    const seen = await strataOk([
      'inspect',
      '--root',
      root,
      '--platform',
      'linux/arm64',
      '-f',
      '{{.Architecture}}',
      'idx:1',
    ]);
    expect(seen.stdout.trim()).toBe('arm64');
    // The layout is a base for either platform: --build-context picks the matching entry.
    const onTop = await context({ Dockerfile: 'FROM base\nRUN cat /m > /was && uname -m > /now\n' });
    const topOut = await tempDir();
    await strataOk([
      'build',
      '--root',
      root,
      '-q',
      '--platform',
      'linux/arm64',
      '--build-context',
      `base=oci-layout://${dir}/layout:1`,
      '-o',
      `type=local,dest=${topOut}`,
      onTop,
    ]);
    expect(await readFile(join(topOut, 'was'), 'utf8')).toBe('aarch64\n');
    expect(await readFile(join(topOut, 'now'), 'utf8')).toBe('aarch64\n');
    // strata load of the OCI archive brings both platforms under the name.
    const ociTar = join(dir, 'both.tar');
    await buildBoth(root, '-q', '-t', 'idx:1', '-o', `type=oci,dest=${ociTar}`, ctx);
    const other = await tempDir();
    await strataOk(['load', '--root', other, '-i', ociTar]);
    const loaded = await strataOk([
      'inspect',
      '--root',
      other,
      '--platform',
      'linux/arm64',
      '-f',
      '{{.Architecture}}',
      'idx:1',
    ]);
    expect(loaded.stdout.trim()).toBe('arm64');
    // tag keeps every platform; save writes them as an index, or one platform as a docker archive.
    await strataOk(['tag', '--root', root, 'idx:1', 'idx:2']);
    const saved = join(dir, 'saved.tar');
    const refusedSave = await strata(['save', '--root', root, 'idx:2', '-o', saved]);
    expect(refusedSave.stderr).toMatch(/it holds 2 platforms; a docker archive holds one platform/);
    await strataOk(['save', '--root', root, '--format', 'oci', 'idx:2', '-o', saved]);
    const savedTop = JSON.parse((await run(skopeo, ['inspect', '--raw', `oci-archive:${saved}`])).stdout);
    expect(savedTop.manifests.map((m: { digest: string }) => m.digest)).toEqual(
      top.manifests.map((m: { digest: string }) => m.digest),
    );
    const missing = await strata(['layers', '--root', root, '--platform', 'linux/s390x', 'idx:1']);
    expect(missing.stderr).toMatch(/has no linux\/s390x image \(it has linux\/amd64, linux\/arm64\)/);
  });
});
