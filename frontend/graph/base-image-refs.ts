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
  return baseImageUses(parsed, opts).map((u) => u.ref);
}

/**
 * baseImageRefs with the platform each is first needed for: a FROM's `--platform=` after
 * expansion (`FROM --platform=$BUILDPLATFORM golang` needs the build machine's golang), else
 * undefined (the target platform).
 */
export function baseImageUses(parsed: ParseResult, opts: GraphOptions): { ref: string; platform?: string }[] {
  const { resolution } = analyse(parsed, opts);
  const refs: { ref: string; platform?: string }[] = [];
  const add = (ref: string, platform?: string) => {
    if (!refs.some((r) => r.ref === ref)) refs.push(platform === undefined ? { ref } : { ref, platform });
  };
  for (const i of resolution.selected) {
    const { base, platform } = resolution.stages[i];
    if (base.kind === 'image') add(base.ref, platform);
  }
  for (const i of resolution.selected) {
    for (const cmd of resolution.stages[i].decl.commands) {
      if (cmd.copyFrom?.kind === 'image') add(cmd.copyFrom.ref);
      for (const ref of cmd.mountFrom ?? []) if (ref?.kind === 'image') add(ref.ref);
    }
  }
  return refs;
}
