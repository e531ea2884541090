/**
 * buildPlatforms: one `strata build --platform a,b` builds each platform in turn (each its own
 * plan, chain of keys, layers and records, as BuildKit solves one graph per platform), then
 * names them together: each tag holds one image per platform (RefTarget.platforms), the local
 * form of an OCI index, which the exporters and push turn into one.
 *
 * A stage whose key does not depend on the target (`FROM --platform=$BUILDPLATFORM` with the
 * same inputs) has the same keys for every target: the first platform builds it and the next
 * ones find its records (under --no-cache too, through `sharedKeys`), so it is built once.
 * Platforms build one after the other, not at once: steps of one platform still run in the
 * order the plan gives, and a shared stage is built before anyone waits for it.
 */
import type { Store } from '../../store/index.js';
import { normalizeRef } from '../image/reference.js';
import type { Digest } from '../oci/digest.js';
import { hostPlatform } from '../oci/platform.js';
import type { ProgressSink } from '../progress/events.js';
import { type BuildOptions, type BuildOutcome, build, exportBuildCache } from './build.js';

export interface PlatformOutcome extends BuildOutcome {
  platform: string;
  /** Stages this platform took whole from an earlier platform of the same command, by label. */
  sharedFrom: Map<string, string>;
}

export interface MultiOutcome {
  platforms: PlatformOutcome[];
  tags: string[];
}

export async function buildPlatforms(
  store: Store,
  o: Omit<BuildOptions, 'platform'>,
  platforms: string[],
): Promise<MultiOutcome> {
  const sharedKeys = new Set<Digest>();
  // key -> the platform whose build made it first.
  const madeBy = new Map<Digest, string>();
  const out: PlatformOutcome[] = [];
  // Step numbers run on across platforms (#1..#n, then #n+1..), as in one BuildKit solve:
  // a renderer keys its rows by them.
  let offset = 0;
  let last = 0;
  const progress: ProgressSink = (e) => {
    if (!('id' in e)) return o.progress(e);
    last = Math.max(last, e.id + offset);
    o.progress({ ...e, id: e.id + offset });
  };
  for (const platform of platforms) {
    o.progress({ type: 'info', message: `building for ${platform}` });
    offset = last;
    const r = await build(store, {
      ...o,
      progress,
      platform,
      // The cache is imported once, before the first platform, and exported once, after the
      // last, with every platform's records.
      cacheFrom: out.length === 0 ? o.cacheFrom : [],
      cacheTo: [],
      tags: [],
      platformLabels: platforms.length > 1,
      sharedKeys,
    });
    const sharedFrom = new Map<string, string>();
    for (const ps of r.plan.stages) {
      const keys = ps.steps.map((p) => p.key);
      const from = keys.length > 0 && keys.every((k) => k !== undefined) ? madeBy.get(keys[0]!) : undefined;
      if (from !== undefined && keys.every((k) => madeBy.get(k!) === from)) sharedFrom.set(ps.label, from);
      for (const k of keys) if (k !== undefined && !madeBy.has(k)) madeBy.set(k, platform);
      for (const k of keys) if (k !== undefined) sharedKeys.add(k);
    }
    for (const [label, from] of sharedFrom)
      o.progress({
        type: 'info',
        message: `stage ${label}: the same build as for ${from} (built once, shared)`,
      });
    out.push({ ...r, platform, sharedFrom });
  }
  if (!o.dryRun)
    await exportBuildCache(
      store,
      out.map((r) => r.plan),
      { ...o, progress },
    );
  const names = o.tags.map((t) => normalizeRef(t));
  if (!o.dryRun) for (const name of names) await tagPlatforms(store, name, out);
  return { platforms: out, tags: names };
}

/** Points `name` at exactly these platform images (replacing what it held, as a build does). */
async function tagPlatforms(store: Store, name: string, out: PlatformOutcome[]): Promise<void> {
  const all = Object.fromEntries(out.map((r) => [r.platform, r.imageId as Digest]));
  const host = all[hostPlatform()] ?? out[0].imageId!;
  await store.setRef(name, out.length === 1 ? { config: host } : { config: host, platforms: all });
}
