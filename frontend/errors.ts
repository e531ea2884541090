/**
 * The frontend's one error class. frontend/ imports nothing of ours, so this is not a
 * StrataError subclass, but it carries the same stable code (`E_PARSE`) so cmd/main.ts can
 * map it by `code` alone.
 */
import type { SourceRange } from './parser/ast.js';

/** Where an error happened: the file name to print and its lines, for the caret display. */
export interface ErrorContext {
  /** File name as the user gave it; `Dockerfile` when unknown. */
  file?: string;
  /** The source split into lines (ParseResult.lines), so render() can show the line. */
  lines?: string[];
}

export interface DockerfileErrorOptions extends ErrorContext {
  range?: SourceRange;
  cause?: unknown;
}

/**
 * A Dockerfile that cannot be parsed or converted. `range` (1-based lines and columns) is
 * set whenever the failing text is known; `render()` turns it into the compiler-style
 * message users see.
 */
export class DockerfileError extends Error {
  readonly code = 'E_PARSE' as const;
  file: string;
  range?: SourceRange;
  lines?: string[];

  constructor(message: string, options: DockerfileErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DockerfileError';
    this.file = options.file ?? 'Dockerfile';
    this.range = options.range;
    this.lines = options.lines;
  }

  /**
   * `FILE:LINE:COL: message`, then (when the source is known) the offending line and a
   * caret under the column. Never includes a stack trace.
   */
  render(): string {
    if (!this.range) return `${this.file}: ${this.message}`;
    const { line, col } = this.range.start;
    const head = `${this.file}:${line}:${col}: ${this.message}`;
    const src = this.lines?.[line - 1];
    if (src === undefined) return head;
    return `${head}\n${src}\n${caretLine(src, col)}`;
  }
}

/** Spaces up to `col`, keeping tabs as tabs so the caret lines up in a terminal. */
function caretLine(src: string, col: number): string {
  const upto = src.slice(0, Math.max(0, col - 1));
  let pad = '';
  for (const ch of upto) pad += ch === '\t' ? '\t' : ' ';
  return `${pad}^`;
}

/** A new DockerfileError at `range`. */
export function errorAt(message: string, range: SourceRange, ctx: ErrorContext = {}): DockerfileError {
  return new DockerfileError(message, { ...ctx, range });
}

/**
 * Attach a location to `err`: a DockerfileError without a range gets `range` (and any
 * missing context); one that already has a range is returned unchanged (the innermost
 * location is the most precise). Any other error is wrapped, kept as `cause`.
 */
export function withLocation(err: unknown, range: SourceRange, ctx: ErrorContext = {}): DockerfileError {
  if (err instanceof DockerfileError) {
    if (!err.range) err.range = range;
    if (!err.lines && ctx.lines) err.lines = ctx.lines;
    if (ctx.file && err.file === 'Dockerfile') err.file = ctx.file;
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new DockerfileError(message, { ...ctx, range, cause: err });
}

/** A range covering whole lines `start..end` (1-based), columns 1 to the end of `end`. */
export function lineRange(start: number, end: number = start, lines?: string[]): SourceRange {
  const last = lines?.[end - 1];
  return { start: { line: start, col: 1 }, end: { line: end, col: Math.max(1, last?.length ?? 1) } };
}
