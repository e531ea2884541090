#!/usr/bin/env node
/**
 * `npm run bench`: strata side by side with `DOCKER_BUILDKIT=1 docker build` and
 * `buildah bud --layers`, in the same run, on the same contexts and base images.
 *
 *   node scripts/bench.mjs [--runs N] [--quick] [--only a,b] [--no-peers] [--peers buildkit]
 *                          [--no-rootless] [--keep] [--scale]
 *
 * Unless --no-rootless, strata also runs as an unprivileged user (rootless-builder.mjs) on
 * a few workloads, for the rootless/root rows.
 *
 * Per workload and builder: cold build(s), then N no-op rebuilds, then N rebuilds each after
 * one change, then N exports where the workload has them. Medians, strata/peer ratios and
 * peak RSS go to bench/results/<YYYY-MM-DD>.json and .md (a partial run, --only or
 * --no-peers: <YYYY-MM-DD>-partial.*), and the table is printed.
 * What it needs (nothing is installed by it): see bench/README.md.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildahBuilder, buildkitBuilder, strataBuilder } from './bench/builders.mjs';
import { machineInfo } from './bench/machine-info.mjs';
import { measure, median, rssMethod } from './bench/measure.mjs';
import { parsePlainSteps } from './bench/plain-steps.mjs';
import { parseTimings } from './bench/timings.mjs';
import { walkFloor } from './bench/walk-floor.mjs';
import { benchRegistry, REGISTRY_BIN } from './bench/registry.mjs';
import { markdownReport } from './bench/report.mjs';
import { strataRootlessBuilder } from './bench/rootless-builder.mjs';
import { REPO, runCommand, STRATA_BIN } from './bench/strata-cli.mjs';
import { benchTwoPlatforms, twoPlatformsUnavailable } from './bench/two-platforms.mjs';
import { BENCH_NS, generatedDockerfile, manyFiles, WORKLOADS } from './bench/workloads.mjs';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-rootless': { type: 'boolean' },
    'no-peers': { type: 'boolean', default: false },
    // Which peers to run, e.g. `--peers buildkit` (default: buildkit,buildah).
    peers: { type: 'string', default: 'buildkit,buildah' },
    keep: { type: 'boolean', default: false },
    // Also the workloads marked `scale` (a 1,000,000-file context): minutes, and ~4 GB of /tmp.
    scale: { type: 'boolean', default: false },
  },
});
const RUNS = opts.quick ? 1 : Number(opts.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs wants a positive integer, not ${opts.runs}`);
const only = opts.only ? new Set(opts.only.split(',')) : null;
const workloads = WORKLOADS.filter((w) => (only ? only.has(w.id) : !w.scale || opts.scale));
const say = (s = '') => process.stdout.write(`${s}\n`);

const work = await mkdtemp(join(tmpdir(), 'strata-bench-'));
const results = {
  date: new Date().toISOString().slice(0, 10),
  startedAt: new Date().toISOString(),
  runs: RUNS,
  // The commit measured: git's HEAD, or STRATA_BENCH_COMMIT for a checkout without .git.
  commit:
    process.env.STRATA_BENCH_COMMIT ??
    ((await runCommand('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'])).stdout.trim() || null),
  rssMethod,
  machine: await machineInfo(),
  peers: [],
  workloads: {},
  parse: null,
  walkFloor: {},
  notes: [
    'cold: strata builds into a fresh copy of a store holding only the bases; BuildKit after `docker builder prune -af`; buildah with `--no-cache`.',
    'RSS of BuildKit is the docker CLI only (the build runs inside dockerd); buildah and strata are the whole builder.',
  ],
};

/** One timed build; fails loudly, and checks strata's no-op rebuilds really were all cached. */
async function timedBuild(builder, wl, ctx, phase) {
  const m = await builder.build(wl, ctx, { cold: phase === 'cold' });
  if (m.code !== 0) {
    say(
      `   ${builder.id} ${wl.id} ${phase}: FAILED (exit ${m.code})\n${`${m.stdout}${m.stderr}`.trim().split('\n').slice(-15).join('\n')}`,
    );
  } else if (builder.id.startsWith('strata') && phase === 'noop') {
    const ran = parsePlainSteps(m.stderr + m.stdout).filter((s) => !s.hit);
    if (ran.length)
      results.notes.push(`strata ${wl.id} no-op rebuild ran ${ran.map((s) => s.name).join(', ')}`);
  }
  const timings = builder.id === 'strata' ? parseTimings(m.stderr) : undefined;
  return { ms: m.ms, rssMb: m.rssMb, code: m.code, ...(timings ? { timings } : {}) };
}

async function benchWorkload(wl, builders) {
  const ctx = join(work, 'ctx', wl.id);
  say(`== ${wl.id}: ${wl.title}`);
  wl.prepare(ctx);
  results.workloads[wl.id] = {};
  let changeNo = 0;
  for (const b of builders) {
    if (wl.strataOnly && b.id !== 'strata') continue;
    if (b.only && !b.only.has(wl.id)) continue;
    const rec = {};
    results.workloads[wl.id][b.id] = rec;
    const coldRuns = wl.phases.includes('cold') ? (wl.coldRuns ?? RUNS) : 1;
    const cold = [];
    for (let i = 0; i < coldRuns; i++) {
      await b.prepareCold(wl);
      cold.push(await timedBuild(b, wl, ctx, 'cold'));
    }
    if (wl.phases.includes('cold')) rec.cold = cold;
    if (wl.phases.includes('noop')) {
      rec.noop = [];
      for (let i = 0; i < RUNS; i++) rec.noop.push(await timedBuild(b, wl, ctx, 'noop'));
    }
    if (wl.phases.includes('change')) {
      rec.change = [];
      for (let i = 0; i < RUNS; i++) {
        wl.change(ctx, ++changeNo);
        rec.change.push(await timedBuild(b, wl, ctx, 'change'));
      }
    }
    if (wl.phases.includes('export')) {
      rec.export = [];
      for (let i = 0; i < RUNS; i++) {
        const file = join(work, `export-${b.id}.tar`);
        await rm(file, { force: true });
        const m = await b.exportTar(wl, file);
        if (m.code !== 0)
          say(`   ${b.id} export failed: ${m.stderr.trim().split('\n').slice(-5).join('\n')}`);
        rec.export.push({ ms: m.ms, rssMb: m.rssMb, code: m.code });
        await rm(file, { force: true });
      }
    }
    const show = Object.entries(rec)
      .map(([p, runs]) => `${p} ${(median(runs.map((x) => x.ms)) / 1000).toFixed(2)}s`)
      .join(', ');
    say(`   ${b.label}: ${show}`);
  }
  if (wl.walkFloor) {
    // What walking this context costs at the least: find(1) in C, a bare walk in Node.
    results.walkFloor[wl.id] = await walkFloor(ctx, Math.max(RUNS, 3));
    const f = results.walkFloor[wl.id];
    say(
      `   walk floor: find -printf ${f.findMs.toFixed(0)} ms, bare Node walk ${f.nodeMs.toFixed(0)} ms (${f.entries} entries)`,
    );
  }
  await rm(ctx, { recursive: true, force: true });
}

/** Push and pull of a ~200 MB image (24 x 8 MiB) against a local docker-registry. */
async function benchRegistryWorkload(builders, strata) {
  say('== registry-200m: push and pull of a 192 MiB image, local docker-registry');
  if (!existsSync(REGISTRY_BIN)) {
    results.notes.push(`registry-200m not run: ${REGISTRY_BIN} is not installed (package docker-registry)`);
    return;
  }
  const out = await benchRegistry({
    work,
    runs: RUNS,
    baseRoot: strata.baseRoot,
    withDocker: builders.some((b) => b.id === 'buildkit'),
    makeFiles: (dir) => manyFiles(dir, 24, 8 * 2 ** 20, 24),
    say,
  });
  results.workloads['registry-200m'] = out;
  for (const [id, phases] of Object.entries(out)) {
    say(
      `   ${id === 'buildkit' ? 'docker push/pull' : id}: ${Object.entries(phases)
        .map(([p, runs]) => `${p} ${(median(runs.map((x) => x.ms)) / 1000).toFixed(2)}s`)
        .join(', ')}`,
    );
  }
  results.notes.push(
    'registry-200m: the BuildKit column is `docker push` / `docker pull` (the engine, not BuildKit); each push goes to an empty registry from a store that never compressed the layers, each pull into an empty store / after the image was removed.',
  );
}

/**
 * `strata load` of a docker-save archive of a Debian+Node base (the rootfs make-node.sh
 * caches, plus one random file so that no engine has its layer yet) into an empty store,
 * against `docker load` of the same archive into the engine, which does not hold its layer.
 *
 * Each run has an archive of its own (its own nonce), made before any run, and nothing is
 * deleted until every run is over: this machine's ext4 has no journal, and for it the
 * kernel skips inodes freed in the last minute or five when it allocates new ones, one
 * buffer lookup each (ext4 `recently_deleted`), so creating 38,000 files right after
 * deleting a tree that size took several times as long (a `docker rmi` or a removed store
 * before each run made either side's times climb run after run).
 */
async function benchLoad(builders) {
  const rootfs = join(
    process.env.STRATA_SAMPLES_CACHE ?? '/var/cache/strata-samples',
    'node-bookworm-rootfs.tar',
  );
  say(
    '== load-node: a docker-save archive of a Debian+Node base, loaded into an empty store / by docker load',
  );
  if (!existsSync(rootfs)) {
    results.notes.push(`load-node not run: ${rootfs} is missing (samples/base/make-node.sh makes it)`);
    return;
  }
  const dir = join(work, 'load');
  await mkdir(dir, { recursive: true });
  const docker = builders.some((b) => b.id === 'buildkit');
  const names = [];
  const archives = [];
  for (let i = 0; i < RUNS; i++) {
    const tar = join(dir, 'rootfs.tar');
    await runCommand('cp', [rootfs, tar]);
    await writeFile(join(dir, 'nonce'), `${Math.random()} ${Date.now()}\n`);
    const appended = await runCommand('tar', ['--append', '-f', tar, '-C', dir, 'nonce']);
    if (appended.code !== 0) throw new Error(`tar --append: ${appended.stderr}`);
    const name = `${BENCH_NS}/load-node:${i}`;
    const src = join(dir, `src-${i}`);
    const imported = await runCommand(STRATA_BIN, ['import', '--root', src, tar, name]);
    if (imported.code !== 0) throw new Error(`strata import: ${imported.stderr}`);
    const archive = join(dir, `node-${i}.tar`);
    const saved = await runCommand(STRATA_BIN, ['save', '--root', src, name, '-o', archive]);
    if (saved.code !== 0) throw new Error(`strata save: ${saved.stderr}`);
    await rm(tar, { force: true });
    if (docker) await runCommand('/usr/bin/docker', ['rmi', '-f', name]);
    names.push(name);
    archives.push(archive);
  }
  const rec = { strata: { load: [] }, ...(docker ? { buildkit: { load: [] } } : {}) };
  // Interleaved, so that whatever else the machine does weighs on both alike.
  for (let i = 0; i < RUNS; i++) {
    const m = await measure(STRATA_BIN, ['load', '--root', join(dir, `store-${i}`), '-i', archives[i]]);
    if (m.code !== 0) say(`   strata load failed: ${m.stderr.trim()}`);
    rec.strata.load.push({ ms: m.ms, rssMb: m.rssMb, code: m.code });
    if (!docker) continue;
    const d = await measure('/usr/bin/docker', ['load', '-i', archives[i]]);
    if (d.code !== 0) say(`   docker load failed: ${d.stderr.trim()}`);
    rec.buildkit.load.push({ ms: d.ms, rssMb: d.rssMb, code: d.code });
  }
  if (docker) for (const name of names) await runCommand('/usr/bin/docker', ['rmi', '-f', name]);
  results.workloads['load-node'] = rec;
  for (const [id, phases] of Object.entries(rec))
    say(
      `   ${id === 'buildkit' ? 'docker load' : id}: load ${(median(phases.load.map((x) => x.ms)) / 1000).toFixed(2)}s`,
    );
  results.notes.push(
    "load-node: the BuildKit column is `docker load` into the shared engine (not an empty engine: this machine's one engine serves other jobs too); each run's archive has a layer of its own, which the engine does not hold. strata loads into an empty store each time. Runs alternate strata and docker, and nothing is deleted until all are done (on this journal-less ext4, creating files right after deleting many is several times slower).",
  );
  await rm(dir, { recursive: true, force: true });
}

/** Start-up and the 5,000-line parse: strata only (no peer has a parse-only command). */
async function benchParse(peers) {
  const dir = join(work, 'parse');
  await mkdir(dir, { recursive: true });
  const df = join(dir, 'Dockerfile');
  const text = generatedDockerfile(5000);
  await writeFile(df, text);
  const times = async (cmd, args) => {
    const ms = [];
    for (let i = 0; i < Math.max(RUNS, 3); i++) ms.push((await measure(cmd, args)).ms);
    return median(ms);
  };
  const startupMs = await times(STRATA_BIN, ['--version']);
  const cliMs = await times(STRATA_BIN, ['parse', '-f', df, '--format', 'json', dir]);
  const inproc = await runCommand(process.execPath, [
    join(REPO, 'scripts/bench/parse-inprocess.mjs'),
    df,
    String(Math.max(RUNS, 5)),
  ]);
  if (inproc.code !== 0) throw new Error(`in-process parse failed: ${inproc.stderr}`);
  results.parse = {
    lines: text.trimEnd().split('\n').length,
    startupMs,
    cliMs,
    ...(() => {
      const { parseMs, graphMs } = JSON.parse(inproc.stdout);
      return {
        parseOnlyMs: median(parseMs),
        graphMs: median(graphMs),
        inProcessMs: median(parseMs.map((p, i) => p + graphMs[i])),
      };
    })(),
    ...(peers.some((p) => p.id === 'buildkit')
      ? { dockerVersionMs: await times('/usr/bin/docker', ['--version']) }
      : {}),
    ...(peers.some((p) => p.id === 'buildah')
      ? { buildahVersionMs: await times('buildah', ['--version']) }
      : {}),
  };
  say(
    `== start-up ${startupMs.toFixed(0)} ms; parse ${results.parse.lines} lines: ${results.parse.inProcessMs.toFixed(1)} ms in-process, ${cliMs.toFixed(0)} ms CLI`,
  );
}

async function main() {
  say(`strata bench: ${RUNS} run(s) per measurement, work dir ${work}`);
  const strata = strataBuilder(work);
  const builders = [strata];
  const needs = new Set(workloads.flatMap((w) => w.base));
  const bases = await strata.init(needs);
  if (!opts['no-peers']) {
    const wanted = new Set(opts.peers.split(','));
    for (const make of [buildkitBuilder, buildahBuilder]) {
      if (!wanted.has(make === buildkitBuilder ? 'buildkit' : 'buildah')) continue;
      const peer = await make(work);
      if (peer.unavailable) {
        const id = make === buildkitBuilder ? 'buildkit' : 'buildah';
        say(`peer ${id}: not run (${peer.unavailable})`);
        results.peers.push({ id, unavailable: peer.unavailable });
        continue;
      }
      await peer.init(needs, bases);
      builders.push(peer);
      results.peers.push({ id: peer.id, label: peer.label });
    }
  }
  if (!opts['no-rootless']) {
    const rootless = await strataRootlessBuilder(work);
    if (rootless.unavailable) {
      say(`rootless strata: not run (${rootless.unavailable})`);
      results.notes.push(`rootless strata not run: ${rootless.unavailable}`);
    } else {
      await rootless.init(needs, bases);
      builders.push(rootless);
      results.rootless = { label: rootless.label };
    }
  }
  try {
    await benchParse(results.peers.filter((p) => !p.unavailable));
    for (const wl of workloads) await benchWorkload(wl, builders);
    if (!only || only.has('registry-200m')) await benchRegistryWorkload(builders, strata);
    if (!only || only.has('two-platforms')) {
      const why = twoPlatformsUnavailable();
      if (why) results.notes.push(`two-platforms not run: ${why}`);
      else {
        say('== two-platforms: samples/cross-compile for linux/amd64 and linux/arm64 (QEMU)');
        results.twoPlatforms = await benchTwoPlatforms({ work, runs: RUNS, baseRoot: strata.baseRoot, say });
        for (const [id, phases] of Object.entries(results.twoPlatforms))
          say(
            `   ${id}: ${Object.entries(phases)
              .map(([p, runs]) => `${p} ${(median(runs.map((x) => x.ms)) / 1000).toFixed(2)}s`)
              .join(', ')}`,
          );
      }
    }
    if (!only || only.has('load-node')) await benchLoad(builders);
  } finally {
    for (const b of builders.slice(1)) await b.cleanup();
    await strata.cleanup();
  }
  results.finishedAt = new Date().toISOString();
  const md = markdownReport(results);
  const outDir = join(REPO, 'bench/results');
  await mkdir(outDir, { recursive: true });
  // A partial run (--only, --no-peers) is written beside the day's full results, never
  // over them, and does not become bench/README.md's latest table.
  const partial = only !== null || opts['no-peers'] === true || opts.peers !== 'buildkit,buildah';
  const base = partial ? `${results.date}-partial` : results.date;
  await writeFile(join(outDir, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(outDir, `${base}.md`), md);
  if (!partial) await updateReadme(md);
  say();
  say(md);
  say(`wrote bench/results/${base}.json and .md`);
}

/** Replaces the section between the markers in bench/README.md with the latest table. */
async function updateReadme(md) {
  const file = join(REPO, 'bench/README.md');
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return;
  }
  const start = '<!-- bench:latest:start -->';
  const end = '<!-- bench:latest:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i === -1 || j === -1) return;
  await writeFile(file, `${text.slice(0, i + start.length)}\n${md}${text.slice(j)}`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  if (opts.keep) say(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}
