/**
 * ONBUILD triggers of a stage's base (the base image's `OnBuild` from the options, or the
 * base stage's own ONBUILD lines) are parsed and put in front of the stage's instructions,
 * located at the stage's FROM line, marked `fromOnBuild` (formats.md 1.12).
 */
import { withLocation } from '../errors.js';
import { type SourceInfo, toInstruction } from '../instructions/index.js';
import type { Node } from '../parser/ast.js';
import { resolveCommandRefs } from './resolve-refs.js';
import type { StageCommand, StageDecl } from './stage-table.js';
import type { BaseImageInfo, StageBase } from './types.js';

/** Parses one trigger text into nodes (the frontend parser, injected to keep this testable). */
export type TriggerParser = (text: string) => Node[];

export interface TriggerContext {
  stages: readonly StageDecl[];
  baseImages?: Map<string, BaseImageInfo>;
  parseTrigger: TriggerParser;
  escape: string;
  source: SourceInfo;
}

/** Applies the triggers once; later calls are no-ops. */
export function applyTriggers(stage: StageDecl, base: StageBase, ctx: TriggerContext): void {
  if (stage.triggersApplied) return;
  stage.triggersApplied = true;
  let triggers: string[] = [];
  if (base.kind === 'stage') {
    for (const c of ctx.stages[base.index].commands) {
      if (c.parsed.kind === 'onbuild' && !c.fromOnBuild) triggers.push(c.parsed.trigger);
    }
  } else if (base.kind === 'image') {
    triggers = ctx.baseImages?.get(base.ref)?.onBuild ?? [];
  }
  const range = stage.node.range;
  const added: StageCommand[] = [];
  for (const trigger of triggers) {
    try {
      const nodes = ctx.parseTrigger(trigger);
      if (nodes.length !== 1) throw new Error('onbuild trigger should be a single expression');
      const kw = nodes[0].keyword.toUpperCase();
      if (kw === 'FROM' || kw === 'MAINTAINER') throw new Error(`${kw} isn't allowed as an ONBUILD trigger`);
      const node: Node = { ...nodes[0], range };
      const parsed = toInstruction(node, ctx.source);
      const cmd: StageCommand = { node, parsed, range, source: trigger, fromOnBuild: true };
      resolveCommandRefs(cmd, ctx.stages, ctx.escape);
      added.push(cmd);
    } catch (err) {
      throw withLocation(err, range, ctx.source);
    }
  }
  stage.commands.unshift(...added);
}
