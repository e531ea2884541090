import { expect } from 'vitest';
import { DockerfileError } from '../../../frontend/errors.js';
import {
  type BuildGraph,
  type GraphOptions,
  type Instruction,
  type Step,
  toGraph,
} from '../../../frontend/graph/index.js';
import { parse } from '../../../frontend/parser/index.js';

export function graph(text: string, opts: Partial<GraphOptions> = {}): BuildGraph {
  return toGraph(parse(text, { file: 'Dockerfile' }), {
    file: 'Dockerfile',
    targetPlatform: 'linux/arm64/v8',
    buildPlatform: 'linux/amd64',
    ...opts,
  });
}

export function graphError(text: string, opts: Partial<GraphOptions> = {}): DockerfileError {
  try {
    graph(text, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(DockerfileError);
    return err as DockerfileError;
  }
  throw new Error('expected toGraph to fail');
}

/** The steps of the target stage. */
export function steps(g: BuildGraph): Step[] {
  return g.stages[g.stages.length - 1].steps;
}

// An intersection, not Extract: COPY and ADD share one union member (kind 'copy' | 'add').
export function ins<K extends Instruction['kind']>(step: Step, kind: K): Instruction & { kind: K } {
  expect(step.instruction.kind).toBe(kind);
  return step.instruction as Instruction & { kind: K };
}
