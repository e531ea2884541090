/**
 * The build context as the planner and the COPY runner see it: sources resolved once per
 * step and their checksums memoised, so planning and executing read the context once.
 */
import type { Step } from '../../frontend/graph/types.js';
import type { Store } from '../../store/store.js';
import type { FileEntry } from '../cache/explain-miss.js';
import type { BuildContext, SourceSet } from '../context/index.js';
import { type MetaStore, openContext } from '../context/index.js';
import type { Digest } from '../oci/digest.js';
import { count, timed } from '../progress/timings.js';
import type { NamedContext } from './named-contexts.js';

export interface PlanContext {
  root: string;
  /** `from`: a `--build-context NAME=DIR` name to read instead of the main context. */
  checksum(
    step: Step,
    sources: string[],
    exclude: string[],
    from?: string,
  ): Promise<{ digest: Digest; files: FileEntry[] }>;
  /** The source set planning resolved for this step (resolving it now if planning did not). */
  sourceSet(
    step: Step,
    sources: string[],
    exclude: string[],
    parents: boolean,
    from?: string,
  ): Promise<SourceSet>;
  /** Whether `name` is a directory given with --build-context. */
  isNamedDir(name: string): boolean;
  /** Planning is over: the contexts' stat caches let go of their rows (BuildContext.releaseCache). */
  releaseCaches(): Promise<void>;
}

export async function openBuildContext(
  store: Store,
  dir: string,
  dockerfile: string,
  named: Map<string, NamedContext> = new Map(),
): Promise<PlanContext> {
  // The store reads and writes meta files in pieces: a stat cache of 100,000 files is ~17 MB,
  // never one Buffer or one string (beside its rows) that way.
  const metaStore: MetaStore = store;
  const ctx = await openContext(dir, { dockerfilePath: dockerfile, metaStore });
  const others = new Map<string, Promise<BuildContext>>();
  const contextFor = (from?: string): Promise<BuildContext> => {
    if (from === undefined) return Promise.resolve(ctx);
    const n = named.get(from);
    if (n?.kind !== 'dir') throw new Error(`build context ${from} is not a directory context`);
    let c = others.get(from);
    if (!c) {
      // A named context reads its own .dockerignore, as BuildKit does.
      c = openContext(n.path, { metaStore });
      others.set(from, c);
    }
    return c;
  };
  const sets = new WeakMap<Step, Map<string, Promise<SourceSet>>>();
  const sourceSet = (
    step: Step,
    sources: string[],
    exclude: string[],
    parents: boolean,
    from?: string,
  ): Promise<SourceSet> => {
    let m = sets.get(step);
    if (!m) sets.set(step, (m = new Map()));
    const k = JSON.stringify([sources, exclude, parents, from]);
    let s = m.get(k);
    if (!s) {
      s = timed('walk', async () => {
        const set = await (await contextFor(from)).resolveSources(sources, { exclude, parents });
        for (const src of set.sources) for (const m of src.matches) count('files', m.entries.length);
        return set;
      });
      m.set(k, s);
    }
    return s;
  };
  return {
    root: ctx.root,
    sourceSet,
    isNamedDir: (name) => named.get(name)?.kind === 'dir',
    async releaseCaches() {
      ctx.releaseCache();
      for (const c of others.values()) (await c.catch(() => undefined))?.releaseCache();
    },
    async checksum(step, sources, exclude, from) {
      const ins = step.instruction;
      const parents = (ins.kind === 'copy' || ins.kind === 'add') && ins.parents;
      // `files` stays a getter: only a miss reads it.
      const set = await sourceSet(step, sources, exclude, parents, from);
      return timed('hash', () => set.checksum());
    },
  };
}
