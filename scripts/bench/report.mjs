/**
 * Turns benchmark results into the Markdown table written to bench/results/<date>.md and
 * into bench/README.md's "latest" section. Ratios are strata's median over the peer's
 * median (lower is better for strata); targets come from the issues that set them.
 */
import { median } from './measure.mjs';

/** Issue targets: strata/BuildKit ratio of medians (or an absolute bound). */
export const TARGETS = {
  // Issue 20: the edit-rebuild loop at most BuildKit's warm daemon.
  'seed-app': { noop: 1.0, change: 1.0 },
  'ctx-100k': { noop: 0.5, change: 0.3 },
  'files-10k': { cold: 0.5, noop: 0.3, change: 0.3 },
  'files-48x8m': { cold: 0.6, export: 1.5 },
  'run-11': { cold: 0.35, noop: 0.5 },
  // Issue 20 asks at most 1.0x for run-11's no-op; issue 4's 0.5x stays the stricter target.
  // Issue 14: the multi-stage rebuild that keeps its artifact, at least as fast as BuildKit.
  'multistage-artifact': { change: 1.0 },
  // Against `docker push` / `docker pull` (the BuildKit column of that row).
  'registry-200m': { push: 0.7, pull: 0.7 },
  // Issue 20: strata load at least as fast as docker load (the BuildKit column).
  'load-node': { load: 1.0 },
};
export const RSS_TARGET_MB = 200;
/** Issue 16: rootless strata at most this much slower than root strata, per phase. */
export const ROOTLESS_TARGET = 1.3;

/** Rows of strata as an unprivileged user next to strata as root, where both ran. */
function rootlessTable(sum) {
  const rows = [];
  for (const [wl, phases] of Object.entries(sum)) {
    for (const [phase, b] of Object.entries(phases)) {
      const rl = b['strata-rootless'];
      if (!rl) continue;
      const x = ratio(rl.median, b.strata?.median);
      rows.push(
        `| ${wl} | ${phase} | ${s(b.strata?.median)} | ${s(rl.median)} | ${r(x)}${verdict(x, ROOTLESS_TARGET)} |`,
      );
    }
  }
  if (rows.length === 0) return [];
  return [
    '',
    'Rootless (issue 16): strata as an unprivileged user (its own user namespace, subordinate ids) next to strata as root.',
    '',
    '| workload | phase | strata (root) | strata (rootless) | rootless/root |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ];
}
/** The workloads issue 3 sets the RSS bound for ("peak RSS under 200 MB throughout"). */
export const RSS_TARGET_WORKLOADS = ['files-10k', 'files-48x8m'];
export const PARSE_TARGET_MS = 25;

const s = (ms) =>
  ms === undefined
    ? '–'
    : ms >= 10_000
      ? `${(ms / 1000).toFixed(1)} s`
      : ms >= 1000
        ? `${(ms / 1000).toFixed(2)} s`
        : `${ms.toFixed(0)} ms`;
const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
const r = (x) => (x === undefined ? '–' : `${x.toFixed(2)}x`);

function verdict(value, target) {
  if (target === undefined || value === undefined) return '';
  return value <= target ? ` (target ≤ ${target}x: met)` : ` (target ≤ ${target}x: MISSED)`;
}

/** Summary numbers per workload/phase/builder: { median, runs, maxRssMb }. */
export function summarize(results) {
  const out = {};
  for (const [wl, byBuilder] of Object.entries(results.workloads)) {
    out[wl] = {};
    for (const [builder, phases] of Object.entries(byBuilder)) {
      for (const [phase, runs] of Object.entries(phases)) {
        out[wl][phase] ??= {};
        const ok = runs.filter((x) => x.code === 0);
        out[wl][phase][builder] = {
          median: ok.length ? median(ok.map((x) => x.ms)) : undefined,
          runs: runs.length,
          failed: runs.length - ok.length,
          maxRssMb: Math.max(0, ...runs.map((x) => x.rssMb)),
        };
      }
    }
  }
  return out;
}

export function markdownReport(results) {
  const sum = summarize(results);
  const m = results.machine;
  const lines = [
    `## strata benchmark, ${results.date}${results.commit ? ` (commit ${results.commit})` : ''}`,
    '',
    `Machine: ${m.nproc} × ${m.cpu}, ${m.memoryGiB} GiB RAM, ${m.kernel}, Node ${m.node}, /tmp on ${m.tmpFilesystem}; ` +
      `docker ${m.docker ?? 'absent'}, ${m.buildah ?? 'buildah absent'}, ${m.runc ?? 'runc absent'}.`,
    `Runs per measurement: ${results.runs} (median shown). Peak RSS: ${results.rssMethod}.`,
    `Peers: ${results.peers.length ? results.peers.map((p) => (p.unavailable ? `${p.id}: not run (${p.unavailable})` : p.label)).join('; ') : 'none (--no-peers)'}.`,
    '',
    '| workload | phase | strata | BuildKit | strata/BuildKit | buildah | strata/buildah | strata peak RSS |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [wl, phases] of Object.entries(sum)) {
    for (const [phase, b] of Object.entries(phases)) {
      const st = b.strata ?? {};
      const bk = b.buildkit ?? {};
      const ba = b.buildah ?? {};
      const rb = ratio(st.median, bk.median);
      const fail = (x) => (x.failed ? ` (${x.failed} failed)` : '');
      lines.push(
        `| ${wl} | ${phase} | ${s(st.median)}${fail(st)} | ${s(bk.median)}${fail(bk)} | ${r(rb)}${verdict(rb, TARGETS[wl]?.[phase])} | ` +
          `${s(ba.median)}${fail(ba)} | ${r(ratio(st.median, ba.median))} | ${st.maxRssMb ? `${st.maxRssMb.toFixed(0)} MB` : '–'} |`,
      );
    }
  }
  const peak = (ids) =>
    Math.max(
      0,
      ...Object.entries(sum)
        .filter(([id]) => ids === undefined || ids.includes(id))
        .flatMap(([, p]) => Object.values(p).map((b) => b.strata?.maxRssMb ?? 0)),
    );
  const targetRss = peak(RSS_TARGET_WORKLOADS);
  const maxRss = peak(undefined);
  if (results.twoPlatforms) {
    const t = results.twoPlatforms;
    const med = (runs) =>
      runs?.length ? median(runs.filter((x) => x.code === 0).map((x) => x.ms)) : undefined;
    lines.push(
      '',
      '| two platforms (samples/cross-compile, arm64 under QEMU) | phase | one command | one after the other | ratio |',
      '|---|---|---|---|---|',
    );
    for (const phase of ['cold', 'change']) {
      const a = med(t.one[phase]);
      const b = med(t.sequential[phase]);
      lines.push(
        `| \`--platform linux/amd64,linux/arm64\` | ${phase} | ${s(a)} | ${s(b)} | ${r(ratio(a, b))} |`,
      );
    }
  }
  const p = results.parse;
  lines.push(
    '',
    `- Peak RSS of strata in ${RSS_TARGET_WORKLOADS.join(' and ')} (issue 3's bound): ${targetRss.toFixed(0)} MB (target < ${RSS_TARGET_MB} MB: ${targetRss < RSS_TARGET_MB ? 'met' : 'MISSED'}); over every run: ${maxRss.toFixed(0)} MB.`,
  );
  if (p) {
    lines.push(
      `- Start-up: \`strata --version\` ${s(p.startupMs)}` +
        (p.dockerVersionMs !== undefined ? `, \`docker --version\` ${s(p.dockerVersionMs)}` : '') +
        (p.buildahVersionMs !== undefined ? `, \`buildah --version\` ${s(p.buildahVersionMs)}` : '') +
        '.',
      `- Parse of a generated ${p.lines}-line Dockerfile: ${p.inProcessMs.toFixed(1)} ms in-process (parse ${p.parseOnlyMs.toFixed(1)} ms + graph ${p.graphMs.toFixed(1)} ms, after start-up; ` +
        `target < ${PARSE_TARGET_MS} ms: ${p.inProcessMs < PARSE_TARGET_MS ? 'met' : 'MISSED'}); ` +
        `\`strata parse --format json\` ${s(p.cliMs)} wall, ${s(p.cliMs - p.startupMs)} after start-up.`,
    );
  }
  const run11 = sum['run-11']?.cold;
  if (run11?.strata?.median !== undefined) {
    const per = (x) => (x?.median === undefined ? '–' : `${(x.median / 11).toFixed(0)} ms`);
    lines.push(
      `- Per-RUN cost (cold run-11 / 11): strata ${per(run11.strata)}, BuildKit ${per(run11.buildkit)}, buildah ${per(run11.buildah)}.`,
    );
  }
  lines.push(
    "- strata peak RSS counts the children strata waits for: in builds with RUN steps that includes runc and the step's own processes (npm in seed-app), so it bounds strata from above.",
  );
  lines.push(...timingLines(results), ...walkFloorLines(results));
  lines.push(...rootlessTable(sum));
  for (const note of results.notes) lines.push(`- ${note}`);
  return `${lines.join('\n')}\n`;
}

/** Per-phase medians of `values` (objects of numbers), keys in first-seen order. */
function medians(values) {
  const keys = [...new Set(values.flatMap((v) => Object.keys(v)))];
  return Object.fromEntries(keys.map((k) => [k, median(values.map((v) => v[k] ?? 0))]));
}

/** Where strata's no-op and one-change rebuilds spent their time (STRATA_TIMINGS=1), medians. */
function timingLines(results) {
  const out = [];
  for (const [wl, byBuilder] of Object.entries(results.workloads)) {
    for (const phase of ['noop', 'change']) {
      const runs = (byBuilder.strata?.[phase] ?? []).filter((x) => x.timings);
      if (runs.length === 0) continue;
      const ph = medians(runs.map((x) => x.timings.phases));
      const inner = medians(runs.map((x) => x.timings.inner));
      const total = Object.values(ph).reduce((a, b) => a + b, 0);
      const wall = median(runs.map((x) => x.ms));
      const from = runs.every((x) => x.timings.counts.snapshot)
        ? 'from the startup snapshot'
        : 'without the snapshot';
      const fmt = (o) =>
        Object.entries(o)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(', ');
      out.push(
        `- ${wl} ${phase}, where strata's time went (ms, medians, ${from}): ${fmt(ph)}; in-process ${total.toFixed(1)} of ${wall.toFixed(0)} wall` +
          (Object.keys(inner).length ? ` (inside: ${fmt(inner)})` : '') +
          '.',
      );
    }
  }
  return out;
}

/** The walk floor beside strata's own walk of the same context in its no-op rebuilds. */
function walkFloorLines(results) {
  const out = [];
  for (const [wl, f] of Object.entries(results.walkFloor ?? {})) {
    const runs = (results.workloads[wl]?.strata?.noop ?? []).filter(
      (x) => x.timings?.inner.walk !== undefined,
    );
    const walk = runs.length ? median(runs.map((x) => x.timings.inner.walk)) : undefined;
    out.push(
      `- ${wl} walk floor, ${f.entries} entries: \`find -printf\` ${f.findMs.toFixed(0)} ms (process included), bare Node readdir+lstat ${f.nodeMs.toFixed(0)} ms (in-process); ` +
        `strata's no-op walk ${walk === undefined ? '–' : `${walk.toFixed(0)} ms (${(walk / f.nodeMs).toFixed(2)}x the Node floor)`}.`,
    );
  }
  return out;
}
