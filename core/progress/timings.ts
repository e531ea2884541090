/**
 * Where one command's time went, for `STRATA_TIMINGS=1` (the benchmark sets it and prints the
 * breakdown of a no-op). Off, every call here is a boolean test and nothing else.
 *
 * Phases are consecutive spans of wall time on the main path: `mark('plan')` ends the phase
 * running until then and starts `plan`, so the phases add up to the process's whole life
 * (`start` is Node's own start-up, before strata's first line ran; the last phase runs until
 * the process exits). The `strata` launcher's own few ms before Node are not in it.
 * `add(name, ms)` counts time inside a phase that is worth seeing on
 * its own (the context walk inside planning), shown after the phases in parentheses.
 * Counts (`count('files', n)`) say how much work a phase did. `performance` is the global one:
 * importing node:perf_hooks would put a module into the startup snapshot that Node 20 does not
 * vouch for there (cmd/snapshot-main.ts).
 *
 * The line goes to stderr once, at exit:
 *   strata timings: start=21.3 load=14.2 ... finish=0.4 total=61.0 (walk=3.1 hash=0.9) [files=1000]
 */

let enabled = false;
let current = 'start';
let since = 0;
const phases = new Map<string, number>();
const inner = new Map<string, number>();
const counts = new Map<string, number>();

/** Turns recording on and prints the line to `out` at exit; until the first mark the phase is `start`. */
export function enableTimings(out: { write(s: string): unknown }): void {
  if (enabled) return;
  enabled = true;
  // performance.now() counts from the process's time origin, so the first span is Node's own start.
  since = 0;
  process.once('exit', () => {
    mark('');
    phases.delete('');
    out.write(`${formatTimings()}\n`);
  });
}

export function timingsEnabled(): boolean {
  return enabled;
}

/** Ends the running phase and starts `name` (a phase seen twice adds up). */
export function mark(name: string): void {
  if (!enabled) return;
  const now = performance.now();
  phases.set(current, (phases.get(current) ?? 0) + (now - since));
  current = name;
  since = now;
}

/** Adds `ms` to a span inside the phases (shown apart, not in the total). */
export function add(name: string, ms: number): void {
  if (enabled) inner.set(name, (inner.get(name) ?? 0) + ms);
}

/** Adds `n` to a count of work done (files walked, records read). */
export function count(name: string, n = 1): void {
  if (enabled) counts.set(name, (counts.get(name) ?? 0) + n);
}

/** Runs `fn` and adds its wall time to the inner span `name`. */
export async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const t = performance.now();
  try {
    return await fn();
  } finally {
    add(name, performance.now() - t);
  }
}

function formatTimings(): string {
  const f = (ms: number) => ms.toFixed(1);
  const total = [...phases.values()].reduce((a, b) => a + b, 0);
  const parts = [...phases].map(([k, v]) => `${k}=${f(v)}`);
  let line = `strata timings: ${parts.join(' ')} total=${f(total)}`;
  if (inner.size > 0) line += ` (${[...inner].map(([k, v]) => `${k}=${f(v)}`).join(' ')})`;
  if (counts.size > 0) line += ` [${[...counts].map(([k, v]) => `${k}=${v}`).join(' ')}]`;
  return line;
}
