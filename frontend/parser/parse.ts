/**
 * Dockerfile text to AST, following BuildKit's parser: directives, comments, line
 * continuations, heredoc bodies, then per-instruction argument splitting. No expansion.
 */
import { DockerfileError, errorAt, withLocation } from '../errors.js';
import type { Node, ParseResult, SourceRange, Warning } from './ast.js';
import { continuationCut } from './continuation.js';
import { DirectiveError, DirectiveScanner } from './directives.js';
import { HeredocError, heredocsFromLine } from './heredocs.js';
import { leadingSpace, trimLeftSpace } from './is-space.js';
import { canContainHeredoc, nodeFromLine } from './node-from-line.js';
import { MAX_LINE_BYTES, type SourceLines, splitSourceLines, trimNewline } from './source-lines.js';

export interface ParseOptions {
  /** File name used in error messages; `Dockerfile` by default. */
  file?: string;
}

/**
 * Parse a whole Dockerfile. Returns one Node per instruction, in order, with 1-based
 * ranges (the end line includes heredoc bodies). Throws DockerfileError (always with a
 * range when the file has lines) for: a repeated or invalid directive, an argument list
 * the keyword's parser rejects, a non-string JSON array, an unterminated heredoc, a line
 * over 65535 bytes, and a file with no instructions.
 */
export function parse(text: string, opts: ParseOptions = {}): ParseResult {
  const src = splitSourceLines(text);
  const raw = src.raw;
  // Without any `\r` every line is already trimmed: share the array instead of copying it.
  const lines = text.includes('\r') ? raw.map(trimNewline) : raw;
  const state: ParseState = {
    src,
    lines,
    ctx: { file: opts.file ?? 'Dockerfile', lines },
    directives: new DirectiveScanner(),
    warnings: [],
    next: 0,
  };
  const nodes: Node[] = [];
  // One call per instruction rather than one long loop body: a function called thousands of
  // times is optimised early and stays optimised, where a single huge loop had to be compiled
  // on-stack (taking up to 100 ms in the background, during which it ran unoptimised) and
  // was thrown away again whenever later lines brought new type feedback.
  while (state.next < raw.length) {
    const node = readInstruction(state);
    if (node !== undefined) nodes.push(node);
  }

  if (nodes.length === 0) {
    const last = src.tooLongAt ?? lines.length;
    const range = last > 0 ? { start: { line: last, col: 1 }, end: { line: last, col: 1 } } : undefined;
    throw new DockerfileError('file with no instructions', { ...state.ctx, range });
  }
  if (src.tooLongAt !== undefined) {
    const line = src.tooLongAt;
    throw errorAt(
      `dockerfile line greater than max allowed size of ${MAX_LINE_BYTES}`,
      rangeAt(lines, line, 1, line),
      state.ctx,
    );
  }
  return { nodes, directives: state.directives.directives, warnings: state.warnings, lines };
}

/** What `readInstruction` reads from and writes to, one per parse. */
interface ParseState {
  src: SourceLines;
  /** `src.raw` without trailing `\r`s (the same array when there are none). */
  lines: string[];
  ctx: { file: string; lines: string[] };
  directives: DirectiveScanner;
  warnings: Warning[];
  /** Index of the next physical line to read. */
  next: number;
}

/**
 * Reads the instruction starting at line index `s.next` (with its continuation lines and
 * heredoc bodies) and moves `s.next` past it. Returns undefined for a blank line, a comment
 * or a directive.
 */
function readInstruction(s: ParseState): Node | undefined {
  const lines = s.lines;
  const count = lines.length;
  const startLine = s.next + 1;
  const line = lines[s.next++];
  const first = trimLeftSpace(line);
  const startCol = line.length - first.length + 1;
  const directives = s.directives;
  if (!directives.done) {
    try {
      directives.scan(first);
    } catch (err) {
      if (err instanceof DirectiveError)
        throw errorAt(err.message, rangeAt(lines, startLine, startCol, startLine), s.ctx);
      throw err;
    }
  }
  const escapeChar = directives.directives.escape;
  // Comments (directives included) are dropped; a blank line is skipped.
  const head = first.startsWith('#') ? '' : first;
  const headCut = continuationCut(head, escapeChar);
  let joined = headCut < 0 ? head : head.slice(0, headCut);
  let continues = headCut >= 0;
  if (!continues && joined === '') return undefined;

  let hasEmptyContinuation = false;
  while (continues && s.next < count) {
    const next = lines[s.next++];
    // Look at the first non-blank character in place (no trimmed copy of every line).
    const lead = leadingSpace(next);
    if (lead === next.length) {
      hasEmptyContinuation = true;
      continue;
    }
    if (next.charCodeAt(lead) === 0x23 /* # */) continue;
    const cut = continuationCut(next, escapeChar);
    joined += cut < 0 ? next : next.slice(0, cut);
    continues = cut >= 0;
  }

  const range = rangeAt(lines, startLine, startCol, s.next);
  if (hasEmptyContinuation) {
    s.warnings.push({
      code: 'EmptyContinuation',
      message: `Empty continuation line found in: ${joined}`,
      range: { start: { ...range.start }, end: { ...range.end } },
    });
  }
  let node: Node;
  try {
    node = nodeFromLine(joined, escapeChar, range);
  } catch (err) {
    if (err instanceof DockerfileError) throw withLocation(err, range, s.ctx);
    throw err;
  }

  if (canContainHeredoc(node) && joined.includes('<<')) {
    s.next = readHeredocBodies(node, joined, s.src.raw, lines, s.src.lastHasNewline, s.next, s.ctx);
    range.end = rangeAt(lines, startLine, startCol, s.next).end;
  }
  return node;
}

/** Lines `start`..`end` (1-based), from column `col` to the end of the last line. */
function rangeAt(lines: string[], start: number, col: number, end: number): SourceRange {
  return {
    start: { line: start, col },
    end: { line: end, col: Math.max(1, lines[end - 1]?.length ?? 1) },
  };
}

/**
 * Read the body of each heredoc `joined` opens from the lines after index `i`, attach
 * them to `node`, and return the index of the first line after the last body.
 */
function readHeredocBodies(
  node: Node,
  joined: string,
  raw: string[],
  lines: string[],
  lastHasNewline: boolean,
  i: number,
  ctx: { file: string; lines: string[] },
): number {
  const where = (end: number): SourceRange => ({
    start: node.range.start,
    end: { line: end, col: Math.max(1, lines[end - 1]?.length ?? 1) },
  });
  let docs: ReturnType<typeof heredocsFromLine>;
  try {
    docs = heredocsFromLine(joined);
  } catch (err) {
    if (err instanceof HeredocError) throw errorAt(err.message, where(i), ctx);
    throw err;
  }
  for (const doc of docs) {
    let terminated = false;
    let content = '';
    while (i < raw.length) {
      const line = lines[i];
      const withNewline = i < raw.length - 1 || lastHasNewline ? `${raw[i]}\n` : raw[i];
      i++;
      const candidate = doc.chomp ? line.replace(/^\t+/, '') : line;
      if (candidate === doc.name) {
        terminated = true;
        break;
      }
      content += withNewline;
    }
    if (!terminated) throw errorAt('unterminated heredoc', where(Math.max(i, node.range.start.line)), ctx);
    doc.content = content;
  }
  // Assigned, not pushed: nodes start with the shared frozen empty list.
  node.heredocs = docs;
  return i;
}
