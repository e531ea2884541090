/**
 * Reads strata's `--progress plain` output (BuildKit's format plus strata's
 * `#N CACHE HIT:` / `#N CACHE MISS:` lines) back into one record per build step.
 *
 * A step is a vertex whose name carries a position, `[2/5] COPY . .` or
 * `[build 2/5] RUN ...`; other vertices (context transfer, export) are not steps.
 * A step is a hit when its vertex printed `CACHED`; otherwise it ran (a miss).
 */

/**
 * @typedef {{ id: number, name: string, hit: boolean, reason: string, logs: string[], seconds: number | null }} Step
 */

const NAME = /^#(\d+) (\[[^\]]*\d+\/\d+\] .*)$/;
const CACHED = /^#(\d+) CACHED$/;
const DECISION = /^#(\d+) CACHE (HIT|MISS): (.*)$/;
const DONE = /^#(\d+) DONE ([\d.]+)s$/;
const LOG = /^#(\d+) \d+\.\d+ (.*)$/;

/** @param {string} text @returns {Step[]} steps in the order they were first named */
export function parsePlainSteps(text) {
  /** @type {Map<number, Step>} */
  const byId = new Map();
  for (const line of text.split('\n')) {
    let m = NAME.exec(line);
    if (m) {
      const id = Number(m[1]);
      if (!byId.has(id)) byId.set(id, { id, name: m[2], hit: false, reason: '', logs: [], seconds: null });
      continue;
    }
    m = CACHED.exec(line);
    if (m && byId.has(Number(m[1]))) {
      byId.get(Number(m[1])).hit = true;
      continue;
    }
    m = DECISION.exec(line);
    if (m && byId.has(Number(m[1]))) {
      byId.get(Number(m[1])).reason = m[3];
      continue;
    }
    m = DONE.exec(line);
    if (m && byId.has(Number(m[1]))) {
      byId.get(Number(m[1])).seconds = Number(m[2]);
      continue;
    }
    m = LOG.exec(line);
    if (m && byId.has(Number(m[1]))) byId.get(Number(m[1])).logs.push(m[2]);
  }
  return [...byId.values()];
}

/** `[2/5] COPY . .` -> `COPY . .` (and `[build 2/5] RUN x` -> `RUN x`). */
export function stepInstruction(name) {
  return name.replace(/^\[[^\]]*\] /, '');
}
