/**
 * What a stage's base and its COPY --from / RUN --mount from= point at: an earlier stage
 * (by name, case-insensitive, or for COPY by numeric index) or an image to resolve.
 * A name that is no stage is an image reference, as in BuildKit.
 */
import { InstructionError } from '../instructions/index.js';
import { expandWord } from '../shell/index.js';
import type { StageCommand, StageDecl } from './stage-table.js';

const NO_ENV: ReadonlyMap<string, string> = new Map();

export function findStage(stages: readonly StageDecl[], name: string): StageDecl | undefined {
  const lower = name.toLowerCase();
  return stages.find((s) => s.name === lower);
}

/** Fills `copyFrom` / `mountFrom` of `cmd`. @throws InstructionError (caller locates it). */
export function resolveCommandRefs(
  cmd: StageCommand,
  stages: readonly StageDecl[],
  escapeToken: string,
): void {
  const p = cmd.parsed;
  if ((p.kind === 'copy' || p.kind === 'add') && p.from !== undefined && p.from !== '') {
    const from = p.from;
    if (expandWord(from, NO_ENV, { escapeToken }) !== from) {
      throw new InstructionError(
        'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround',
      );
    }
    if (/^[+-]?\d+$/.test(from)) {
      const index = Number(from);
      if (index < 0 || index >= stages.length) throw new InstructionError(`invalid stage index ${index}`);
      cmd.copyFrom = { kind: 'stage', index };
    } else {
      const stage = findStage(stages, from);
      cmd.copyFrom = stage ? { kind: 'stage', index: stage.index } : { kind: 'image', ref: from };
    }
  }
  if (p.kind === 'run' && p.mounts.length > 0) {
    // BuildKit resolves mount sources by stage name only (no numeric index).
    cmd.mountFrom = p.mounts.map((m) => {
      if (m.from === undefined || m.from === '') return undefined;
      const stage = findStage(stages, m.from);
      return stage ? { kind: 'stage', index: stage.index } : { kind: 'image', ref: m.from };
    });
  }
}

const NO_DEPS: readonly number[] = Object.freeze([]);

/** Stage indices a command reads from (read-only; shared when there are none). */
export function commandStageDeps(cmd: StageCommand): readonly number[] {
  // Called for every command several times per resolution; most read no other stage.
  if (cmd.copyFrom?.kind !== 'stage' && cmd.mountFrom === undefined) return NO_DEPS;
  const out: number[] = [];
  if (cmd.copyFrom?.kind === 'stage') out.push(cmd.copyFrom.index);
  for (const ref of cmd.mountFrom ?? []) if (ref?.kind === 'stage') out.push(ref.index);
  return out;
}
