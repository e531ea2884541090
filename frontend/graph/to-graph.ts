/**
 * `toGraph`: a parsed Dockerfile plus build options to the BuildGraph core plans from. Only
 * the stages the target needs are converted, in Dockerfile order (every dependency is an
 * earlier stage), target last; every value BuildKit expands is expanded.
 */
import { DockerfileError, withLocation } from '../errors.js';
import type { SourceInfo } from '../instructions/index.js';
import type { ParseResult } from '../parser/ast.js';
import { parse } from '../parser/parse.js';
import { convertStep } from './convert-step.js';
import { PLATFORM_ARG_NAMES } from './platform-args.js';
import { type Resolution, resolveStages } from './resolve-stages.js';
import { argsInScope, cloneState, imageState, type StageState } from './stage-state.js';
import { collectStages } from './stage-table.js';
import type { BuildGraph, GraphOptions, Stage, Step } from './types.js';

const PROXY_ARGS = ['HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY', 'ALL_PROXY'];

/**
 * The proxy build-args as a RUN sees them: each under both its upper- and lower-case name
 * (`--build-arg http_proxy=x` gives HTTP_PROXY=x and http_proxy=x), as BuildKit's executor
 * sets its ProxyEnv (moby/buildkit dockerfile2llb proxyEnvFromBuildArgs, llb.WithProxy).
 */
function proxyEnv(buildArgs: Record<string, string>): [string, string][] {
  const out: [string, string][] = [];
  for (const name of PROXY_ARGS) {
    const given = Object.entries(buildArgs).filter(([k]) => k.toUpperCase() === name);
    if (given.length === 0) continue;
    const value = given[given.length - 1][1];
    out.push([name, value], [name.toLowerCase(), value]);
  }
  return out;
}

/** Build-args that need no ARG line and are never reported as unused. */
function isBuiltinArg(name: string): boolean {
  return (
    PLATFORM_ARG_NAMES.includes(name) ||
    PROXY_ARGS.includes(name.toUpperCase()) ||
    name.startsWith('BUILDKIT_') ||
    name === 'SOURCE_DATE_EPOCH'
  );
}

/**
 * Converts `parsed` for `opts`. Pure: no filesystem, network or process access; base image
 * facts come from `opts.baseImages` (see `baseImageRefs` for which to look up first).
 * @throws DockerfileError (code E_PARSE), located at the offending instruction when there is
 * one: bad instruction or flag, failed `${X:?}`, unknown target, stage cycles or references
 * to later stages, bad build-arg names.
 */
export function toGraph(parsed: ParseResult, opts: GraphOptions): BuildGraph {
  const { source, resolution } = analyse(parsed, opts);
  const buildArgs = opts.buildArgs ?? {};
  const declared = new Set<string>(resolution.global.declared);
  const finalStates = new Map<number, StageState>();
  const stages: Stage[] = [];

  for (const index of resolution.selected) {
    const { decl, base, platform } = resolution.stages[index];
    const state =
      base.kind === 'stage'
        ? cloneState(finalStates.get(base.index)!)
        : imageState(base.kind === 'image' ? opts.baseImages?.get(base.ref) : undefined);
    const ctx = {
      state,
      escape: parsed.directives.escape,
      globalEnv: resolution.global.env,
      buildArgs,
      declared,
      networkMode: opts.networkMode,
    };
    const steps: Step[] = decl.commands.map((cmd, i) => {
      let instruction: Step['instruction'];
      try {
        instruction = convertStep(cmd, ctx);
      } catch (err) {
        throw withLocation(err, cmd.range, source);
      }
      const step: Step = {
        index: i,
        range: cmd.range,
        source: cmd.source,
        instruction,
        args: argsInScope(state),
      };
      if (cmd.fromOnBuild) step.fromOnBuild = true;
      return step;
    });
    finalStates.set(index, state);
    const deps = new Set<number>();
    if (base.kind === 'stage') deps.add(base.index);
    for (const cmd of decl.commands) {
      if (cmd.copyFrom?.kind === 'stage') deps.add(cmd.copyFrom.index);
      for (const ref of cmd.mountFrom ?? []) if (ref?.kind === 'stage') deps.add(ref.index);
    }
    const stage: Stage = {
      index,
      base,
      range: decl.node.range,
      source: decl.node.original.trim(),
      steps,
      deps: [...deps].sort((a, b) => a - b),
    };
    if (decl.name !== undefined) stage.name = decl.name;
    if (platform !== undefined) stage.platform = platform;
    stages.push(stage);
  }

  const graph: BuildGraph = {
    file: opts.file,
    directives: parsed.directives,
    stages,
    target: resolution.target,
    warnings: parsed.warnings,
    unusedBuildArgs: Object.keys(buildArgs)
      .filter((k) => !declared.has(k) && !isBuiltinArg(k))
      .sort(),
  };
  const proxy = proxyEnv(buildArgs);
  if (proxy.length > 0) graph.proxyEnv = proxy;
  return graph;
}

/** Shared by toGraph and baseImageRefs: check options, type, group and resolve stages. */
export function analyse(
  parsed: ParseResult,
  opts: GraphOptions,
): { source: SourceInfo; resolution: Resolution } {
  const source: SourceInfo = { file: opts.file, lines: parsed.lines };
  for (const name of Object.keys(opts.buildArgs ?? {})) {
    if (name === '' || /[=\s]/.test(name)) {
      throw new DockerfileError(`invalid build-arg name ${JSON.stringify(name)}: want NAME=VALUE`, {
        file: opts.file,
      });
    }
  }
  const table = collectStages(parsed, source);
  const parseTrigger = (text: string) => parse(text, { file: opts.file }).nodes;
  const resolution = resolveStages(table, opts, { escape: parsed.directives.escape, source, parseTrigger });
  return { source, resolution };
}
