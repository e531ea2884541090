/**
 * The build context as the planner and the COPY runner see it: sources resolved once per
 * step and their checksums memoised, so planning and executing read the context once.
 */
import type { Step } from '../../frontend/graph/types.js';
import { openContext } from '../context/index.js';
import type { SourceSet } from '../context/index.js';
import type { Digest } from '../oci/digest.js';
import type { Store } from '../../store/store.js';
import type { FileEntry } from './explain-miss.js';

export interface PlanContext {
  root: string;
  checksum(step: Step, sources: string[], exclude: string[]): Promise<{ digest: Digest; files: FileEntry[] }>;
  /** The source set planning resolved for this step (resolving it now if planning did not). */
  sourceSet(step: Step, sources: string[], exclude: string[], parents: boolean): Promise<SourceSet>;
}

export async function openBuildContext(store: Store, dir: string, dockerfile: string): Promise<PlanContext> {
  const ctx = await openContext(dir, {
    dockerfilePath: dockerfile,
    metaStore: { readMeta: (n) => store.readMeta(n), writeMeta: (n, d) => store.writeMeta(n, d) },
  });
  const sets = new WeakMap<Step, Map<string, Promise<SourceSet>>>();
  const sourceSet = (
    step: Step,
    sources: string[],
    exclude: string[],
    parents: boolean,
  ): Promise<SourceSet> => {
    let m = sets.get(step);
    if (!m) sets.set(step, (m = new Map()));
    const k = JSON.stringify([sources, exclude, parents]);
    let s = m.get(k);
    if (!s) {
      s = ctx.resolveSources(sources, { exclude, parents });
      m.set(k, s);
    }
    return s;
  };
  return {
    root: ctx.root,
    sourceSet,
    async checksum(step, sources, exclude) {
      const ins = step.instruction;
      const parents = (ins.kind === 'copy' || ins.kind === 'add') && ins.parents;
      const sum = await (await sourceSet(step, sources, exclude, parents)).checksum();
      return { digest: sum.digest, files: sum.files };
    },
  };
}
