/**
 * Reads `strata build --progress plain` output back into one record per build step, for
 * tests that assert the exact hit/miss pattern of a build. (scripts/bench/plain-steps.mjs
 * is the same reader for the demo and the benchmark, which run without a TypeScript step.)
 *
 * A step is a vertex whose name carries a position (`[2/5] COPY . .`, `[build 2/5] RUN x`);
 * it hit the cache when its vertex printed `#N CACHED`, otherwise it ran.
 */
export interface PlainStep {
  id: number;
  /** The vertex name without its position: `COPY . .`. */
  instruction: string;
  hit: boolean;
  /** strata's `#N CACHE HIT: ...` / `#N CACHE MISS: ...` text, '' when none was printed. */
  reason: string;
  /** The step's output lines, without the `#N 0.123 ` prefix. */
  logs: string[];
}

const NAME = /^#(\d+) \[[^\]]*\d+\/\d+\] (.*)$/;
const CACHED = /^#(\d+) CACHED$/;
const DECISION = /^#(\d+) CACHE (?:HIT|MISS): (.*)$/;
const LOG = /^#(\d+) \d+\.\d+ (.*)$/;

export function parsePlainSteps(text: string): PlainStep[] {
  const byId = new Map<number, PlainStep>();
  for (const line of text.split('\n')) {
    const named = NAME.exec(line);
    if (named) {
      const id = Number(named[1]);
      if (!byId.has(id)) byId.set(id, { id, instruction: named[2], hit: false, reason: '', logs: [] });
      continue;
    }
    const cached = CACHED.exec(line);
    const step = (m: RegExpExecArray | null) => (m ? byId.get(Number(m[1])) : undefined);
    if (cached) {
      const s = step(cached);
      if (s) s.hit = true;
      continue;
    }
    const decision = DECISION.exec(line);
    if (decision) {
      const s = step(decision);
      if (s) s.reason = decision[2];
      continue;
    }
    const log = LOG.exec(line);
    const s = step(log);
    if (log && s) s.logs.push(log[2]);
  }
  return [...byId.values()];
}
