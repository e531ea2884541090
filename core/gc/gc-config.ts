/**
 * The GC policy flags and file. Sizes read as docker reads `--keep-storage` (units.RAMInBytes:
 * `512MB`, `10GB`, `1.5g`, plain bytes; k/m/g/t are powers of 1024, with or without `B`/`iB`);
 * durations as Go's time.ParseDuration reads `until=24h` (`90m`, `1h30m`, `45s`, `500ms`).
 *
 * The automatic policy lives in the store it governs, `<root>/config.json`:
 *
 *     { "gc": { "keepStorage": "10GB", "until": "168h" } }
 *
 * and is applied after every build that stored an image (cmd/build.ts), like BuildKit's
 * daemon-side GC (buildkitd.toml `gckeepstorage`), which a daemonless builder has to run
 * itself. How many build reports are kept is BuildKit's `[history] maxEntries`, in the same file:
 *
 *     { "history": { "maxEntries": 50 } }
 */
import { join } from 'node:path';
import { DEFAULT_MAX_REPORTS } from '../exec/report-retention.js';
import { readFileBounded } from '../fs/read-bounded.js';
import { InvalidInputError, NotFoundError } from '../oci/errors.js';
import type { GcPolicy } from './gc-plan.js';

const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** `10GB` -> 10737418240; InvalidInputError naming `what` for anything else. */
export function parseSize(s: string, what = '--keep-storage'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(s);
  if (!m) throw new InvalidInputError(`${what} ${JSON.stringify(s)}: want a size like 512MB, 10GB or bytes`);
  return Math.floor(Number(m[1]) * UNITS[m[2].toLowerCase()]);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `24h` -> 86400000; `1h30m`; InvalidInputError naming `what` for anything else. */
export function parseDuration(s: string, what = 'until'): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    matched = re.lastIndex;
  }
  if (s === '' || matched !== s.length)
    throw new InvalidInputError(`${what}=${s}: want a duration like 24h, 90m or 1h30m`);
  return total;
}

/** The store's own GC policy file. */
export function gcConfigPath(root: string): string {
  return join(root, 'config.json');
}

/** What `<root>/config.json` says: the gc policy (none when it sets none), the report limit. */
export interface StoreConfig {
  gc?: GcPolicy;
  /** How many build reports are kept besides pinned ones (core/exec/report-retention.ts). */
  maxReports: number;
}

/** `<root>/config.json`, or the defaults when there is none. */
export async function readStoreConfig(root: string): Promise<StoreConfig> {
  const path = gcConfigPath(root);
  let text: string;
  try {
    text = (await readFileBounded(path, 64 * 1024, path)).toString('utf8');
  } catch (err) {
    if (err instanceof NotFoundError) return { maxReports: DEFAULT_MAX_REPORTS };
    throw err;
  }
  let parsed: { gc?: { keepStorage?: unknown; until?: unknown }; history?: { maxEntries?: unknown } };
  try {
    parsed = JSON.parse(text) ?? {};
  } catch (err) {
    throw new InvalidInputError(`read ${path}: not json`, { cause: err });
  }
  const maxEntries = parsed.history?.maxEntries;
  if (maxEntries !== undefined && !(Number.isSafeInteger(maxEntries) && (maxEntries as number) >= 0))
    throw new InvalidInputError(
      `read ${path}: history.maxEntries wants a whole number of build reports, like 50`,
    );
  return {
    gc: gcPolicy(path, parsed.gc),
    maxReports: (maxEntries as number | undefined) ?? DEFAULT_MAX_REPORTS,
  };
}

/** The policy in `<root>/config.json`, or undefined when there is none (or it sets no gc). */
export async function readGcConfig(root: string): Promise<GcPolicy | undefined> {
  return (await readStoreConfig(root)).gc;
}

function gcPolicy(path: string, gc: { keepStorage?: unknown; until?: unknown } | undefined | null) {
  if (gc === undefined || gc === null) return undefined;
  const policy: GcPolicy = {};
  if (gc.keepStorage !== undefined) {
    if (typeof gc.keepStorage !== 'string' && typeof gc.keepStorage !== 'number')
      throw new InvalidInputError(`read ${path}: gc.keepStorage wants a size like "10GB"`);
    policy.keepStorage = parseSize(String(gc.keepStorage), `${path}: gc.keepStorage`);
  }
  if (gc.until !== undefined) {
    if (typeof gc.until !== 'string')
      throw new InvalidInputError(`read ${path}: gc.until wants a duration like "168h"`);
    policy.untilMs = parseDuration(gc.until, `${path}: gc.until`);
  }
  return policy.keepStorage === undefined && policy.untilMs === undefined ? undefined : policy;
}
