/**
 * One case of the BuildKit conformance suite: a Dockerfile, its context and the build's
 * flags as data, and what BuildKit's own integration test asserts about the result, restated
 * in our words. `go` names the Go test it comes from (moby/buildkit
 * frontend/dockerfile/dockerfile_<file>_test.go), so a reader can open the original.
 */
import type { ImageConfig } from '../../../core/oci/types.js';

/** The upstream test files the suite covers. */
export type GoFile =
  | 'add'
  | 'args'
  /** dockerfile_check_test.go: only its base-image platform test, for issue 15 defect 16. */
  | 'check'
  | 'cmd'
  | 'copy'
  | 'core'
  | 'dockerignore'
  | 'heredoc'
  | 'history'
  | 'image'
  | 'mount'
  | 'multistage'
  | 'onbuild'
  | 'secrets'
  | 'workdir';

/** A context entry: text content, or a described file, directory, symlink, socket or tar. */
export type ContextEntry =
  | string
  | { content: string; mode?: number; uid?: number; gid?: number }
  | { dir: true; mode?: number; uid?: number; gid?: number }
  | { symlink: string }
  | { socket: true }
  /** A tar archive of the given files (gzip-compressed when asked). */
  | { tar: Record<string, TarEntry>; gzip?: boolean };

/** A tar member: text content (a name ending in `/` is a directory), a symlink or a hard link. */
export type TarEntry = string | { symlink: string } | { hardlink: string };

/** What a file in the built image must be; a string is its exact content. */
export type FileCheck =
  | string
  | RegExp
  | {
      content?: string | RegExp;
      /** Permission bits (0o7777). */
      mode?: number;
      uid?: number;
      gid?: number;
      type?: 'file' | 'dir' | 'symlink';
      link?: string;
    };

export interface CaseResult {
  /** The image ID (config digest). */
  id: string;
  /** The flattened filesystem (when the case checks files). */
  dir: string;
  config: ImageConfig;
  /** The build's progress output (`--progress plain`), RUN output included. */
  output: string;
}

export interface Expectation {
  /** The build must fail, with an error matching this. */
  error?: RegExp;
  files?: Record<string, FileCheck>;
  absent?: string[];
  /** Matched with toMatchObject against the image config. */
  config?: Record<string, unknown>;
  /** Each entry matched in order against the non-base history entries. */
  history?: { created_by?: string | RegExp; empty_layer?: boolean; comment?: string }[];
  /** Must appear in the build output. */
  output?: RegExp;
  /** Anything else, with vitest's expect; throws on a mismatch. */
  check?: (r: CaseResult) => void | Promise<void>;
}

export interface SuiteCase {
  go: string;
  file: GoFile;
  /** What this case checks, one line. */
  name: string;
  dockerfile: string;
  /** Where the Dockerfile is written in the context (default `Dockerfile`); `-f` follows it. */
  dockerfileName?: string;
  /** Pass no `-f` (to test the default lookup). */
  noFileFlag?: boolean;
  context?: Record<string, ContextEntry>;
  /**
   * Images built first, each from its own Dockerfile (and this case's context), tagged
   * uniquely: `{image:NAME}` in the case's Dockerfile names the one built from `NAME`.
   * Stands in for the Go tests' push-to-a-registry-then-FROM.
   */
  parents?: Record<string, string>;
  /**
   * Extra `strata build` flags. `{ctx}` and `{tmp}` are replaced by the case's dirs, `{http}`
   * (here and in the Dockerfile) by the URL of a local server that serves `scratch` files.
   */
  flags?: string[];
  env?: Record<string, string>;
  /** Files made in the case's scratch dir (secrets, named contexts, files served at `{http}/`). */
  scratch?: Record<string, ContextEntry>;
  expect: Expectation;
  /**
   * A second build in the same context after the first passed: the Go tests that check the
   * cache change a file and rebuild. `compare` names result files that must stay the same
   * (true: the step hit the cache) or change (false: it ran again).
   */
  rebuild?: {
    context?: Record<string, ContextEntry>;
    flags?: string[];
    expect?: Expectation;
    compare?: Record<string, boolean>;
    /** The second build must give the same image ID as the first (reproducibility). */
    sameImage?: boolean;
  };
  /**
   * Set when strata deliberately does not do what BuildKit does: the reason. The case then
   * asserts strata's behaviour, and the suite lists it.
   */
  difference?: string;
  /** The issue 15 defect this case guards against (it failed on d96c67f). */
  defect?: number;
}
