/**
 * Bytes as docker and BuildKit print them: powers of 1000, three significant digits
 * (`512B`, `3.15MB`, `12.0MB`, `120MB`). In core/progress, the lowest rank, so the progress
 * views and everything above them (inspect, du, prune) share the one formatter.
 */
export function humanSize(n: number): string {
  if (n < 1000) return `${n}B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}
