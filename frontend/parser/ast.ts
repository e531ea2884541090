/**
 * The parser's output: one Node per instruction line (after continuations are joined),
 * mirroring BuildKit's parser.Node closely enough that its golden `result` dumps can be
 * produced from it. No expansion happens here.
 */

/** 1-based line and column. `end` is inclusive of the last line of the instruction. */
export interface Position {
  line: number;
  col: number;
}

export interface SourceRange {
  start: Position;
  end: Position;
}

export interface Heredoc {
  /** Delimiter word without quotes, e.g. `EOF`. */
  name: string;
  /** Raw body, each line ending in "\n"; leading tabs not yet removed. */
  content: string;
  /** File descriptor prefix (`3<<EOF`), 0 when none. */
  fileDescriptor: number;
  /** False when the delimiter was quoted: then no variable expansion. */
  expand: boolean;
  /** True for `<<-EOF`: strip leading tabs from each line. */
  chomp: boolean;
}

export interface Node {
  /** The instruction keyword, lower-case (`run`, `copy`, ...). Unknown words are kept. */
  keyword: string;
  /** Leading `--flag` words, as raw strings (`--from=build`). Read-only: when empty it is
   * one shared frozen array (as is an empty `args` or `heredocs`). */
  flags: string[];
  /** The arguments as BuildKit's parser splits them (see conformance README). */
  args: string[];
  /** Only for ONBUILD: the nested instruction. */
  next?: Node;
  /** True when the arguments came from exec (JSON array) form. */
  json: boolean;
  heredocs: Heredoc[];
  /** The instruction's original text, continuation lines joined as written. */
  original: string;
  range: SourceRange;
}

export interface Directives {
  /** The escape character, `\` unless `# escape=` says otherwise. */
  escape: string;
  /** `# syntax=` value: recorded only; strata never fetches a frontend image. */
  syntax?: string;
  /** `# check=` value, e.g. `skip=JSONArgsRecommended;error=true`. */
  check?: string;
}

export interface Warning {
  /** Stable code, e.g. `EmptyContinuation`, `JSONArgsRecommended`. */
  code: string;
  message: string;
  range?: SourceRange;
}

export interface ParseResult {
  nodes: Node[];
  directives: Directives;
  warnings: Warning[];
  /** The source split into lines, for error carets. */
  lines: string[];
}
