/**
 * The image references a build of `opts.target` needs before conversion: expanded FROM refs
 * of the needed stages that are neither `scratch` nor a stage, then COPY --from and RUN
 * --mount from= image refs, each once, in first-use order. Refs are as written after
 * expansion (core normalises them) and are the keys `GraphOptions.baseImages` expects.
 *
 * ONBUILD triggers of images already in `opts.baseImages` are applied, so they can add refs;
 * a caller that learns new images should call again until the list stops growing.
 */
import type { ParseResult } from '../parser/ast.js';
import { analyse } from './to-graph.js';
import type { GraphOptions } from './types.js';

export function baseImageRefs(parsed: ParseResult, opts: GraphOptions): string[] {
  const { resolution } = analyse(parsed, opts);
  const refs: string[] = [];
  const add = (ref: string) => {
    if (!refs.includes(ref)) refs.push(ref);
  };
  for (const i of resolution.selected) {
    const { base } = resolution.stages[i];
    if (base.kind === 'image') add(base.ref);
  }
  for (const i of resolution.selected) {
    for (const cmd of resolution.stages[i].decl.commands) {
      if (cmd.copyFrom?.kind === 'image') add(cmd.copyFrom.ref);
      for (const ref of cmd.mountFrom ?? []) if (ref?.kind === 'image') add(ref.ref);
    }
  }
  return refs;
}
