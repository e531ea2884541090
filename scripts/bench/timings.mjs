/**
 * Reads the line `STRATA_TIMINGS=1` makes strata print at exit (core/progress/timings.ts):
 *   strata timings: start=21.3 load=0.1 ... finish=0.4 total=61.0 (walk=3.1 hash=0.9) [snapshot=1 files=3]
 * into { phases: {start: 21.3, ...}, inner: {walk: 3.1, ...}, counts: {files: 3, ...} }.
 */
export function parseTimings(text) {
  const m = /strata timings: ([^([\n]*)(?:\(([^)]*)\))?\s*(?:\[([^\]]*)\])?/.exec(text);
  if (!m) return undefined;
  const pairs = (s) =>
    Object.fromEntries([...(s ?? '').matchAll(/([a-z-]+)=([\d.]+)/g)].map(([, k, v]) => [k, Number(v)]));
  const phases = pairs(m[1]);
  delete phases.total;
  return { phases, inner: pairs(m[2]), counts: pairs(m[3]) };
}
