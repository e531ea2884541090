/**
 * The build graph: what core plans and executes. Every value here is already expanded
 * (build args, ARG/ENV, base-image ENV where known). Plain data, JSON-serialisable.
 * Read-only: an empty list (RUN `files`/`devices`, COPY `exclude`, ...) may be one shared
 * frozen array.
 */
import type { Directives, Heredoc, SourceRange, Warning } from '../parser/ast.js';

export type Command = { form: 'shell'; text: string } | { form: 'exec'; args: string[] };

/** Where COPY --from / RUN --mount from= reads: an earlier stage, or an image to resolve. */
export type SourceRef = { kind: 'stage'; index: number } | { kind: 'image'; ref: string };

export interface RunMount {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
  target?: string;
  source?: string;
  from?: SourceRef;
  readonly: boolean;
  /** cache: id (defaults to target), sharing */
  id?: string;
  sharing?: 'shared' | 'private' | 'locked';
  mode?: number;
  uid?: number;
  gid?: number;
  /** tmpfs size in bytes */
  size?: number;
  /** secret: env var name to expose it as */
  env?: string;
  required?: boolean;
}

/** A heredoc after expansion and tab chomping: ready to write or run. */
/** The flags of COPY and ADD, the same in a parsed instruction and in the graph. */
export interface CopyFlags {
  chown?: string;
  chmod?: string;
  link: boolean;
  parents: boolean;
  exclude: string[];
  /** ADD only */
  checksum?: string;
  keepGitDir?: boolean;
  unpack?: boolean;
}

export interface HeredocFile {
  name: string;
  content: string;
}

export type Instruction =
  | {
      kind: 'run';
      command: Command;
      mounts: RunMount[];
      network: 'default' | 'none' | 'host';
      security: 'sandbox' | 'insecure';
      /**
       * Inline files core writes (mode 0755) and mounts read-only at `/dev/pipes/<name>`:
       * only the `#!` script of `RUN <<EOF`, whose command is then `/dev/pipes/<name>`.
       * Other heredocs travel inside the shell text, where the shell handles them.
       */
      files: HeredocFile[];
      /** `--device` values as written (CDI device names); absent when none. */
      devices?: string[];
    }
  | ({
      kind: 'copy' | 'add';
      /** Source paths or patterns as written (expanded), relative to the context or `from`. */
      sources: string[];
      /** Heredoc sources (their names also appear in `sources`? no: only here). */
      heredocs: HeredocFile[];
      dest: string;
      from?: SourceRef;
    } & CopyFlags)
  | { kind: 'env'; pairs: [string, string][] }
  | { kind: 'arg'; args: { name: string; value?: string }[] }
  | { kind: 'label'; pairs: [string, string][] }
  | { kind: 'maintainer'; name: string }
  /** normalised `"80/tcp"` keys, ranges expanded */
  | { kind: 'expose'; ports: string[] }
  | { kind: 'user'; user: string }
  /** `path` is absolute and cleaned (relative WORKDIR already joined onto the previous one). */
  | { kind: 'workdir'; path: string }
  | { kind: 'cmd'; command: Command }
  | { kind: 'entrypoint'; command: Command }
  | { kind: 'volume'; paths: string[] }
  | { kind: 'stopsignal'; signal: string }
  | {
      kind: 'healthcheck';
      /** `["NONE"]`, `["CMD", ...]` or `["CMD-SHELL", cmd]` */
      test: string[];
      /** Go durations converted to integer nanoseconds; 0 = runtime default */
      interval: number;
      timeout: number;
      startPeriod: number;
      startInterval: number;
      retries: number;
    }
  | { kind: 'shell'; shell: string[] }
  | { kind: 'onbuild'; trigger: string };

export type InstructionKind = Instruction['kind'];

export interface Step {
  /** 0-based position within its stage (progress shows `[stage i/n]` 1-based). */
  index: number;
  range: SourceRange;
  /** The instruction as written (continuations joined), for progress and history. */
  source: string;
  instruction: Instruction;
  /**
   * ARGs in scope at this step with their values, in declaration order. RUN gets them in its
   * env; they enter RUN's cache key and history (`RUN |n K=V ...`). Unset ARGs are absent.
   */
  args: [string, string][];
  /** True when this step came from a base image's or base stage's ONBUILD trigger. */
  fromOnBuild?: boolean;
}

export type StageBase =
  | { kind: 'scratch' }
  | { kind: 'image'; ref: string }
  | { kind: 'stage'; index: number };

export interface Stage {
  /** Position of the stage in the Dockerfile (0-based); `COPY --from=N` uses this. */
  index: number;
  /** `AS name`, lower-cased as BuildKit compares names. */
  name?: string;
  base: StageBase;
  /** `FROM --platform=` after expansion, e.g. `linux/amd64`. */
  platform?: string;
  range: SourceRange;
  /** The FROM line as written. */
  source: string;
  steps: Step[];
  /** Indices of stages this one needs (its base stage, COPY --from, RUN --mount from=). */
  deps: number[];
}

export interface BuildGraph {
  /** The Dockerfile path as given (for messages and cache-record options). */
  file: string;
  directives: Directives;
  /** Only the stages the target needs, dependencies before dependants; the target is last. */
  stages: Stage[];
  /** `index` of the target stage. */
  target: number;
  warnings: Warning[];
  /** `--build-arg` names that no ARG consumed (BuildKit warns about them). */
  unusedBuildArgs: string[];
  /**
   * Proxy build-args (`HTTP_PROXY`, `no_proxy`, ...): added to every RUN env, but kept out
   * of cache keys and history unless an ARG declares them (then they are in `Step.args`).
   */
  proxyEnv?: [string, string][];
}

/** What the caller knows of a base image, so its ENV and ONBUILD take part in conversion. */
export interface BaseImageInfo {
  env: string[];
  workingDir?: string;
  onBuild?: string[];
}

export interface GraphOptions {
  /** Path shown in messages and recorded in the graph. */
  file: string;
  target?: string;
  buildArgs?: Record<string, string>;
  /** Platform strings like `linux/amd64`; default: the host's. */
  targetPlatform?: string;
  buildPlatform?: string;
  /** Base image facts keyed by the expanded FROM ref (as written after expansion). */
  baseImages?: Map<string, BaseImageInfo>;
  /**
   * The build's `--network`: the mode of every RUN that names none (`--network=default`),
   * as BuildKit's dockerfile frontend sets the build's mode on the stage state; a RUN's own
   * `--network=none|host` still wins. Default `default`.
   */
  networkMode?: 'default' | 'none' | 'host';
}

export type { Heredoc };
