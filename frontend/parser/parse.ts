/**
 * Dockerfile text to AST, following BuildKit's parser: directives, comments, line
 * continuations, heredoc bodies, then per-instruction argument splitting. No expansion.
 */
import { DockerfileError, errorAt, withLocation } from '../errors.js';
import type { Node, ParseResult, SourceRange, Warning } from './ast.js';
import { continuationCut } from './continuation.js';
import { DirectiveError, DirectiveScanner } from './directives.js';
import { HeredocError, heredocsFromLine } from './heredocs.js';
import { trimLeftSpace } from './is-space.js';
import { canContainHeredoc, nodeFromLine } from './node-from-line.js';
import { MAX_LINE_BYTES, splitSourceLines, trimNewline } from './source-lines.js';

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
  const ctx = { file: opts.file ?? 'Dockerfile', lines };
  const directives = new DirectiveScanner();
  const nodes: Node[] = [];
  const warnings: Warning[] = [];
  const at = (start: number, col: number, end = start): SourceRange => ({
    start: { line: start, col },
    end: { line: end, col: Math.max(1, lines[end - 1]?.length ?? 1) },
  });

  let i = 0; // index of the next physical line to read
  while (i < raw.length) {
    const startLine = i + 1;
    const first = trimLeftSpace(lines[i++]);
    const startCol = lines[startLine - 1].length - first.length + 1;
    try {
      directives.scan(first);
    } catch (err) {
      if (err instanceof DirectiveError) throw errorAt(err.message, at(startLine, startCol), ctx);
      throw err;
    }
    const escapeChar = directives.directives.escape;
    // Comments (directives included) are dropped; a blank line is skipped.
    const head = first.startsWith('#') ? '' : first;
    const headCut = continuationCut(head, escapeChar);
    let joined = headCut < 0 ? head : head.slice(0, headCut);
    let continues = headCut >= 0;
    if (!continues && joined === '') continue;

    let hasEmptyContinuation = false;
    while (continues && i < raw.length) {
      const line = lines[i++];
      const lead = trimLeftSpace(line);
      if (lead.startsWith('#')) continue;
      if (lead === '') {
        hasEmptyContinuation = true;
        continue;
      }
      const cut = continuationCut(line, escapeChar);
      joined += cut < 0 ? line : line.slice(0, cut);
      continues = cut >= 0;
    }

    const range = at(startLine, startCol, i);
    if (hasEmptyContinuation) {
      warnings.push({
        code: 'EmptyContinuation',
        message: `Empty continuation line found in: ${joined}`,
        range: { start: { ...range.start }, end: { ...range.end } },
      });
    }
    let node: Node;
    try {
      node = nodeFromLine(joined, escapeChar, range);
    } catch (err) {
      if (err instanceof DockerfileError) throw withLocation(err, range, ctx);
      throw err;
    }

    if (canContainHeredoc(node) && joined.includes('<<')) {
      i = readHeredocBodies(node, joined, src.raw, lines, src.lastHasNewline, i, ctx);
      range.end = at(startLine, startCol, i).end;
    }
    nodes.push(node);
  }

  if (nodes.length === 0) {
    const last = src.tooLongAt ?? lines.length;
    const range = last > 0 ? { start: { line: last, col: 1 }, end: { line: last, col: 1 } } : undefined;
    throw new DockerfileError('file with no instructions', { ...ctx, range });
  }
  if (src.tooLongAt !== undefined) {
    const line = src.tooLongAt;
    throw errorAt(`dockerfile line greater than max allowed size of ${MAX_LINE_BYTES}`, at(line, 1), ctx);
  }
  return { nodes, directives: directives.directives, warnings, lines };
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
