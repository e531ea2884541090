/**
 * Which stages a build needs and what each starts from: FROM lines expanded with the global
 * args, bases resolved (scratch, an earlier stage, or an image), COPY --from / mount refs
 * resolved, ONBUILD triggers applied until the set of needed stages stops growing, then
 * cycles and references to stages not yet built rejected, all with locations.
 */
import { DockerfileError, withLocation } from '../errors.js';
import type { SourceInfo } from '../instructions/index.js';
import { expandWord } from '../shell/index.js';
import { withSuggestion } from '../suggest.js';
import { buildGlobalArgs, type GlobalArgs } from './global-args.js';
import { applyTriggers, type TriggerParser } from './onbuild-triggers.js';
import { commandStageDeps, findStage, resolveCommandRefs } from './resolve-refs.js';
import { type StageDecl, type StageTable, stageLabel } from './stage-table.js';
import type { GraphOptions, StageBase } from './types.js';

export interface ResolvedStage {
  decl: StageDecl;
  base: StageBase;
  platform?: string;
}

export interface Resolution {
  global: GlobalArgs;
  /** Every stage of the file, by index. */
  stages: ResolvedStage[];
  target: number;
  /** Indices of the stages the target needs, ascending; the target is last. */
  selected: number[];
}

export interface ResolveContext {
  escape: string;
  source: SourceInfo;
  parseTrigger: TriggerParser;
}

export function resolveStages(table: StageTable, opts: GraphOptions, ctx: ResolveContext): Resolution {
  const global = buildGlobalArgs(table, opts, ctx.escape, ctx.source);
  const lex = { escapeToken: ctx.escape };
  // FROM lines see only the global args, which no longer change here, so equal words expand
  // equally: files with many stages tend to repeat one `FROM ${BASE}` (a lexer run each).
  const expandedImages = new Map<string, string>();
  const stages = table.stages.map((decl): ResolvedStage => {
    try {
      let image = expandedImages.get(decl.from.image);
      if (image === undefined) {
        image = expandWord(decl.from.image, global.env.view(), lex);
        expandedImages.set(decl.from.image, image);
      }
      if (image === '') throw new Error(`base name (${decl.from.image}) should not be blank`);
      const earlier = findStage(table.stages.slice(0, decl.index), image);
      const base: StageBase =
        image === 'scratch'
          ? { kind: 'scratch' }
          : earlier
            ? { kind: 'stage', index: earlier.index }
            : { kind: 'image', ref: image };
      const out: ResolvedStage = { decl, base };
      if (decl.from.platform !== undefined) {
        const platform = expandWord(decl.from.platform, global.env.view(), lex);
        if (platform === '') throw new Error(`empty platform value from expression ${decl.from.platform}`);
        out.platform = platform;
      }
      return out;
    } catch (err) {
      throw withLocation(err, decl.node.range, ctx.source);
    }
  });
  for (const decl of table.stages) {
    // Indexed loops over every command: cheaper than iterators while the code is still cold.
    for (let c = 0; c < decl.commands.length; c++) {
      const cmd = decl.commands[c];
      try {
        resolveCommandRefs(cmd, table.stages, ctx.escape);
      } catch (err) {
        throw withLocation(err, cmd.range, ctx.source);
      }
    }
  }

  const target = resolveTarget(table, opts, ctx.source);
  const triggerCtx = { stages: table.stages, baseImages: opts.baseImages, ...ctx };
  let selected = reachable(stages, target);
  for (;;) {
    for (const i of selected) applyTriggers(stages[i].decl, stages[i].base, triggerCtx);
    const next = reachable(stages, target);
    if (next.length === selected.length) break;
    selected = next;
  }
  checkCycles(table.stages, ctx.source);
  checkOrder(table.stages, selected, ctx.source);
  return { global, stages, target, selected };
}

function resolveTarget(table: StageTable, opts: GraphOptions, source: SourceInfo): number {
  if (opts.target === undefined || opts.target === '') return table.stages.length - 1;
  const stage = findStage(table.stages, opts.target);
  if (stage) return stage.index;
  const names = table.stages.flatMap((s) => (s.name ? [s.name] : []));
  const message = `target stage "${opts.target}" could not be found`;
  const hinted = withSuggestion(message, opts.target, names);
  // Without a near name, list the stages there are.
  const known =
    hinted !== message ? '' : names.length > 0 ? ` (stages: ${names.join(', ')})` : ' (no stage has a name)';
  throw new DockerfileError(`${hinted}${known}`, {
    file: source.file,
    lines: source.lines,
  });
}

function stageDeps(stage: ResolvedStage): number[] {
  const deps = stage.decl.commands.flatMap(commandStageDeps);
  if (stage.base.kind === 'stage') deps.push(stage.base.index);
  return deps;
}

function reachable(stages: ResolvedStage[], target: number): number[] {
  const seen = new Set<number>();
  const visit = (i: number) => {
    if (seen.has(i)) return;
    seen.add(i);
    for (const d of stageDeps(stages[i])) visit(d);
  };
  visit(target);
  return [...seen].sort((a, b) => a - b);
}

/** BuildKit's validateCircularDependency: over COPY --from / mount edges of every stage. */
function checkCycles(stages: readonly StageDecl[], source: SourceInfo): void {
  const done = new Set<number>();
  const onPath = new Set<number>();
  const visit = (i: number): StageDecl['commands'][number] | undefined => {
    if (done.has(i)) return undefined;
    done.add(i);
    onPath.add(i);
    const commands = stages[i].commands;
    for (let c = 0; c < commands.length; c++) {
      const cmd = commands[c];
      // Most commands read no other stage; skip the call for them (this loop sees every
      // command of the file, mostly while the code is still cold).
      if (cmd.copyFrom === undefined && cmd.mountFrom === undefined) continue;
      const deps = commandStageDeps(cmd);
      for (let k = 0; k < deps.length; k++) {
        const d = deps[k];
        if (onPath.has(d)) return cmd;
        // Report the outermost command of the cycle: the one in the stage that starts it.
        if (visit(d)) return cmd;
      }
    }
    onPath.delete(i);
    return undefined;
  };
  for (const stage of stages) {
    const cmd = visit(stage.index);
    if (cmd) {
      const err = new Error(`circular dependency detected on stage: ${stageLabel(stage)}`);
      throw withLocation(err, cmd.range, source);
    }
  }
}

/** A stage can only read stages defined (and so built) before it. */
function checkOrder(stages: readonly StageDecl[], selected: number[], source: SourceInfo): void {
  for (const i of selected) {
    const stage = stages[i];
    for (const cmd of stage.commands) {
      for (const d of commandStageDeps(cmd)) {
        if (d < i) continue;
        const p = cmd.parsed;
        const msg =
          p.kind === 'run'
            ? `cannot mount from stage "${stageLabel(stages[d])}", stage needs to be defined before current command`
            : `cannot copy from stage "${p.kind === 'copy' ? p.from : d}", it needs to be defined before current stage "${stageLabel(stage)}"`;
        throw withLocation(new Error(msg), cmd.range, source);
      }
    }
  }
}
