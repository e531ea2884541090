/**
 * Typed instructions: one per AST node, flags validated, arguments split, heredocs attached,
 * but nothing expanded yet (expansion needs the stage env, which only graph conversion has).
 * The union is keyed on `kind`, like the graph's `Instruction`.
 */
import type { Command, CopyFlags, HeredocFile, Instruction } from '../graph/types.js';

/** A COPY/ADD heredoc source: content already tab-chomped for `<<-`, not yet expanded. */
export interface HeredocSource extends HeredocFile {
  /** False when the delimiter was quoted: the body is used as written. */
  expand: boolean;
}

/** A `--mount` flag as written; `from` is pulled out early because it decides stage deps. */
export interface MountSpec {
  csv: string;
  /** The literal `from=` value, when there is one (it is never variable-expanded). */
  from?: string;
}

type Healthcheck = Extract<Instruction, { kind: 'healthcheck' }>;

export type ParsedInstruction =
  | { kind: 'from'; image: string; stageName?: string; platform?: string }
  | {
      kind: 'run';
      command: Command;
      mounts: MountSpec[];
      network: 'default' | 'none' | 'host';
      security: 'sandbox' | 'insecure';
      devices: string[];
      /** See graph `Instruction` run `files`: the `#!` heredoc script, if any. */
      files: HeredocFile[];
    }
  | ({
      kind: 'copy' | 'add';
      sources: string[];
      heredocs: HeredocSource[];
      dest: string;
      /** As written: a stage name or index, or an image reference (the graph resolves it). */
      from?: string;
    } & CopyFlags)
  | { kind: 'env' | 'label'; pairs: [string, string][] }
  | { kind: 'arg'; args: { name: string; value?: string }[] }
  | { kind: 'maintainer'; name: string }
  /** Port words as written, sorted as BuildKit sorts them before expansion. */
  | { kind: 'expose'; ports: string[] }
  | { kind: 'user'; user: string }
  | { kind: 'workdir'; path: string }
  | { kind: 'cmd' | 'entrypoint'; command: Command }
  | { kind: 'volume'; paths: string[] }
  | { kind: 'stopsignal'; signal: string }
  | Healthcheck
  | { kind: 'shell'; shell: string[] }
  | { kind: 'onbuild'; trigger: string };

export type ParsedKind = ParsedInstruction['kind'];
