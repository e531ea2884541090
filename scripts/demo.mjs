#!/usr/bin/env node
/**
 * `npm run demo`: the seed's experiment, replayed. samples/node-app is built three ways
 * (Dockerfile.bad, .good, .buildkit), then rebuilt after a comment is added to index.js and
 * after a dependency is added, and a table shows which steps hit the cache, which ran, and
 * how long each build took. Then the last image is loaded into Docker, run, and asked for
 * its page on port 3000: when no engine answers, the demo starts one with scripts/dockerd.sh
 * (as the tests do) and stops it again at the end; an engine that already answered is left
 * running.
 *
 *   node scripts/demo.mjs [--root DIR] [--keep] [--no-docker]
 *   node scripts/demo.mjs --serve ARCHIVE --image NAME   (only the load-and-run part)
 *
 * --serve skips the builds: it loads ARCHIVE (a docker archive, as `strata save` writes it),
 * runs NAME from it and asks its port 3000, starting and stopping an engine as above. The
 * engine is the one at DOCKER_HOST (default /var/run/docker.sock); STRATA_DOCKERD_STATE
 * makes the one it starts private (see scripts/dockerd.sh), which test/e2e/demo-serve.test.ts
 * uses so as to never stop an engine others share.
 *
 * Each Dockerfile gets its own fresh store (a copy of one store holding the bases), so every
 * "cold" build is really cold and one Dockerfile's cache never helps another. --root DIR
 * keeps those stores under DIR (DIR/base, DIR/bad, ...) instead of a temp dir removed at the
 * end; --keep keeps the temp dir. Network: only the npm registry (the bases come from
 * samples/base, whose Debian root is cached after its first run).
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DOCKER, dockerLoad, ensureEngine, fetchWhenUp } from './bench/docker-engine.mjs';
import { addDependency, countLockTarballs, NEW_DEPENDENCY } from './bench/node-app-edits.mjs';
import { npmCacheTarballs } from './bench/npm-cache.mjs';
import { parsePlainSteps, stepInstruction } from './bench/plain-steps.mjs';
import { mustRun, mustStrata, REPO, runCommand } from './bench/strata-cli.mjs';

const { values: opts } = parseArgs({
  options: {
    root: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-docker': { type: 'boolean', default: false },
    serve: { type: 'string' },
    image: { type: 'string' },
  },
});
if (opts.serve !== undefined && opts.image === undefined) {
  process.stderr.write('demo: --serve ARCHIVE needs --image NAME\n');
  process.exit(2);
}

const DOCKERFILES = ['bad', 'good', 'buildkit'];
const work = opts.root ?? (await mkdtemp(join(tmpdir(), 'strata-demo-')));
const say = (s = '') => process.stdout.write(`${s}\n`);

async function makeBases(root) {
  say(`== bases (samples/base, made once and reused) into ${root}`);
  await mustRun('bash', [join(REPO, 'samples/base/make-busybox.sh'), '--root', root], { tee: true });
  await mustRun('bash', [join(REPO, 'samples/base/make-node.sh'), '--root', root], { tee: true });
}

/** One build, its steps read back from the plain progress output. */
async function build(root, app, df, logDir, scenario) {
  const before = df === 'buildkit' ? await npmCacheTarballs(root) : null;
  const r = await mustStrata(root, [
    'build',
    '--progress',
    'plain',
    '-f',
    join(app, `Dockerfile.${df}`),
    '-t',
    `strata-demo/node-app:${df}`,
    app,
  ]);
  const log = `${r.stdout}${r.stderr}`;
  await writeFile(join(logDir, `${scenario}-${df}.log`), log);
  const steps = parsePlainSteps(log);
  const result = { df, ms: r.ms, steps };
  if (before) {
    const after = await npmCacheTarballs(root);
    const downloaded = [...after].filter((k) => !before.has(k)).length;
    const ran = steps.some((s) => !s.hit && /npm ci/.test(s.name));
    result.npm = ran ? { downloaded, reused: Math.max(0, countLockTarballs(app) - downloaded) } : null;
  }
  const hits = steps.filter((s) => s.hit).length;
  say(
    `   ${hits} hit, ${steps.length - hits} ran, ${(r.ms / 1000).toFixed(1)}s${result.npm ? `; npm tarballs: ${result.npm.downloaded} downloaded, ${result.npm.reused} from the cache mount` : ''}`,
  );
  return result;
}

function cell(r) {
  const hits = r.steps.filter((s) => s.hit).length;
  const ran = r.steps.length - hits;
  let text = `${hits} hit / ${ran} ran, ${(r.ms / 1000).toFixed(1)}s`;
  if (r.npm) text += `; npm: ${r.npm.downloaded} downloaded, ${r.npm.reused} reused`;
  return text;
}

function printTable(rows) {
  const header = ['scenario', ...DOCKERFILES.map((d) => `Dockerfile.${d}`)];
  const body = rows.map((row) => [row.scenario, ...row.results.map(cell)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  say(line(header));
  say(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) say(line(b));
  say();
  say('npm counts: package tarballs fetched from the registry vs found in the cache mount');
  say("($(strata root)/cachemounts/), read from npm's own cache index before and after the build.");
  say('npm still revalidates package metadata online, so a rerun `npm ci` costs round trips even');
  say('when nothing is downloaded.');
  say();
  say('Steps that ran (cache misses), per build:');
  for (const row of rows) {
    for (const r of row.results) {
      const ran = r.steps.filter((s) => !s.hit);
      const list = ran.length === 0 ? 'none' : ran.map((s) => stepInstruction(s.name)).join(' | ');
      say(`  ${row.scenario.padEnd(28)} Dockerfile.${r.df.padEnd(9)} ${list}`);
    }
  }
}

async function runInDocker(root, df) {
  if (opts['no-docker']) return;
  const image = `strata-demo/node-app:${df}`;
  const tar = join(work, `node-app-${df}.tar`);
  say(`== Docker: strata save ${image} -> docker load -> docker run -> GET /`);
  await mustStrata(root, ['save', image, '-o', tar]);
  await serveInDocker(tar, image);
}

/** Loads `tar` into Docker, runs `image` from it, asks its port 3000, and cleans up. */
async function serveInDocker(tar, image) {
  if (!existsSync(DOCKER)) {
    say(`Docker: ${DOCKER} is not installed (scripts/setup.sh installs it); skipping load and run.`);
    return;
  }
  const engine = await ensureEngine();
  const host = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  say(
    engine.started
      ? `Docker: no engine answered at ${host}; started one with scripts/dockerd.sh start`
      : `Docker: using the engine that answers at ${host}`,
  );
  try {
    say(`docker load: ${(await dockerLoad(tar)).join(', ')}`);
    const run = await mustRun(DOCKER, ['run', '-d', '-p', '127.0.0.1::3000', image]);
    const id = run.stdout.trim();
    try {
      const port = (await mustRun(DOCKER, ['port', id, '3000/tcp'])).stdout.trim().split('\n')[0];
      const url = `http://${port.replace('0.0.0.0', '127.0.0.1')}/`;
      const res = await fetchWhenUp(url);
      say(`curl ${url} (the container's port 3000) -> ${res.status} ${res.body.trim()}`);
    } catch (err) {
      const logs = await runCommand(DOCKER, ['logs', id]);
      say(`container ${id.slice(0, 12)} did not answer: ${err.message}\n${logs.stdout}${logs.stderr}`);
      process.exitCode = 1;
    } finally {
      await runCommand(DOCKER, ['rm', '-f', id]);
      await runCommand(DOCKER, ['rmi', image]);
      say('removed the container and the loaded image');
    }
  } finally {
    if (engine.started)
      say(`Docker: stopped the engine the demo started (${await engine.stop()})`.replace(/\n/g, '; '));
  }
}

async function main() {
  const baseRoot = join(work, 'base');
  await mkdir(work, { recursive: true });
  await makeBases(baseRoot);
  const app = join(work, 'node-app');
  const logDir = join(work, 'logs');
  await rm(app, { recursive: true, force: true });
  await cp(join(REPO, 'samples/node-app'), app, { recursive: true });
  await mkdir(logDir, { recursive: true });
  // One store per Dockerfile: a copy of the base store, so no Dockerfile warms another's cache.
  const roots = {};
  for (const df of DOCKERFILES) {
    roots[df] = join(work, df);
    await rm(roots[df], { recursive: true, force: true });
    await mustRun('cp', ['-a', baseRoot, roots[df]]);
  }

  const rows = [];
  const scenario = async (name, label) => {
    const results = [];
    for (const df of DOCKERFILES) {
      say(`-- ${label}: Dockerfile.${df}`);
      results.push(await build(roots[df], app, df, logDir, name));
    }
    rows.push({ scenario: label, results });
  };

  await scenario('cold', 'cold build');
  await scenario('noop', 'rebuild, no change');
  const indexJs = join(app, 'index.js');
  await writeFile(indexJs, `${await readFile(indexJs, 'utf8')}// a comment added by the demo\n`);
  await scenario('comment', 'comment in index.js');
  await addDependency(app);
  await scenario('dependency', `dependency added (${NEW_DEPENDENCY.name})`);

  say();
  say(
    `strata ${(await readFile(join(REPO, 'package.json'), 'utf8')).match(/"version": "([^"]+)"/)[1]}: the seed's experiment on samples/node-app`,
  );
  say('(node:22-alpine is a stand-in made by samples/base/make-node.sh: Debian bookworm with its Node.js)');
  say();
  printTable(rows);
  say();
  say(
    opts.root || opts.keep
      ? `Full --progress plain logs: ${logDir}`
      : 'Full --progress plain logs: rerun with --keep to keep them',
  );
  await runInDocker(roots.good, 'good');
}

try {
  if (opts.serve !== undefined) await serveInDocker(opts.serve, opts.image);
  else await main();
} catch (err) {
  process.stderr.write(`demo: ${err.message}\n`);
  process.exitCode = 1;
} finally {
  if (!opts.root && !opts.keep) await rm(work, { recursive: true, force: true });
  else say(`kept ${work}`);
}
