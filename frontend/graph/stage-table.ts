/**
 * Typed instructions grouped the way BuildKit's `instructions.Parse` groups them: ARGs
 * before the first FROM are global ("meta") args; every FROM opens a stage that owns the
 * instructions after it. Stage names are lower-cased; nothing is expanded yet.
 */
import { DockerfileError, withLocation } from '../errors.js';
import { type ParsedInstruction, type SourceInfo, toInstruction } from '../instructions/index.js';
import type { Node, ParseResult, SourceRange } from '../parser/ast.js';
import type { SourceRef } from './types.js';

type From = Extract<ParsedInstruction, { kind: 'from' }>;

/** One instruction of a stage; references to other stages are resolved in place later. */
export interface StageCommand {
  node: Node;
  parsed: ParsedInstruction;
  /** The range errors point at: the node's, or the child's FROM line for ONBUILD triggers. */
  range: SourceRange;
  source: string;
  fromOnBuild: boolean;
  /** COPY --from, once resolved. */
  copyFrom?: SourceRef;
  /** RUN --mount from= per mount (undefined: none given), once resolved. */
  mountFrom?: (SourceRef | undefined)[];
}

export interface StageDecl {
  index: number;
  node: Node;
  from: From;
  name?: string;
  commands: StageCommand[];
  /** Set once the base's ONBUILD triggers have been put in front of `commands`. */
  triggersApplied: boolean;
}

export interface StageTable {
  metaArgs: { node: Node; parsed: Extract<ParsedInstruction, { kind: 'arg' }> }[];
  stages: StageDecl[];
}

/** @throws DockerfileError for a bad instruction, an instruction before FROM, or no FROM. */
export function collectStages(parsed: ParseResult, source: SourceInfo): StageTable {
  const table: StageTable = { metaArgs: [], stages: [] };
  const nodes = parsed.nodes;
  let n = 0;
  // Global ARGs up to the first FROM are handled here, so the per-node path below never
  // sees an empty stage list (a case that threw its optimised code away on every call).
  for (; n < nodes.length; n++) {
    const node = nodes[n];
    const ins = toInstruction(node, source);
    if (ins.kind === 'from') {
      table.stages.push(newStage(0, node, ins));
      n++;
      break;
    }
    if (ins.kind !== 'arg') {
      throw withLocation(new Error('no build stage in current context'), node.range, source);
    }
    table.metaArgs.push({ node, parsed: ins });
  }
  if (table.stages.length === 0) {
    throw new DockerfileError('dockerfile contains no stages to build', {
      file: source.file,
      lines: source.lines,
    });
  }
  // One call per node rather than the whole body in this loop: a small function called per
  // node is optimised early, where a big loop body waited for (slow) on-stack compilation.
  let stage = table.stages[0];
  for (; n < nodes.length; n++) stage = addNode(table, stage, nodes[n], source);
  return table;
}

/** Types `node` and adds it to `stage`, or opens a new stage for FROM; returns the current stage. */
function addNode(table: StageTable, stage: StageDecl, node: Node, source: SourceInfo): StageDecl {
  const ins = toInstruction(node, source);
  if (ins.kind === 'from') {
    const decl = newStage(table.stages.length, node, ins);
    table.stages.push(decl);
    return decl;
  }
  stage.commands.push({
    node,
    parsed: ins,
    range: node.range,
    source: node.original.trim(),
    fromOnBuild: false,
  });
  return stage;
}

function newStage(index: number, node: Node, from: From): StageDecl {
  const decl: StageDecl = { index, node, from, commands: [], triggersApplied: false };
  if (from.stageName !== undefined) decl.name = from.stageName;
  return decl;
}

/** `stage-N` for unnamed stages, as BuildKit names them in messages. */
export function stageLabel(stage: StageDecl): string {
  return stage.name ?? `stage-${stage.index}`;
}
