/**
 * One joined instruction line to a Node: keyword, flags, then the keyword's own argument
 * parser. Heredoc bodies are attached later by the parse loop.
 */
import type { Node, SourceRange } from './ast.js';
import { EMPTY_LIST } from './empty-list.js';
import { JsonArgs, lineParserFor } from './line-parsers.js';
import { splitCommand } from './split-command.js';

/**
 * Build the node for `line` (continuations already joined). `range` is given to the node
 * and to an ONBUILD's nested node. Throws DockerfileError (without a range) when the
 * keyword's parser rejects the arguments.
 */
export function nodeFromLine(line: string, escapeChar: string, range: SourceRange): Node {
  const { keyword, flags, rest } = splitCommand(line, escapeChar);
  const lower = lowerKeyword(keyword);
  // ONBUILD is handled here rather than in the dispatch table: it is the only keyword that
  // needs to recurse, and a context object per line just for it was measurable garbage.
  if (lower === 'onbuild') {
    const node: Node = {
      keyword: lower,
      flags,
      args: EMPTY_LIST,
      json: false,
      heredocs: EMPTY_LIST,
      original: line,
      range,
    };
    if (rest !== '') node.next = nodeFromLine(rest, escapeChar, range);
    return node;
  }
  const parsed = lineParserFor(lower)(rest, escapeChar);
  const json = parsed instanceof JsonArgs;
  // heredocs: shared empty list; the parse loop assigns a real one when bodies are read.
  return {
    keyword: lower,
    flags,
    args: json ? parsed.args : parsed,
    json,
    heredocs: EMPTY_LIST,
    original: line,
    range,
  };
}

// Keywords as written map to one shared lower-case string each (bounded: files may spell
// keywords any way they like), so nodes do not each hold their own copy.
const LOWER = new Map<string, string>();

function lowerKeyword(keyword: string): string {
  let lower = LOWER.get(keyword);
  if (lower === undefined) {
    lower = keyword.toLowerCase();
    if (LOWER.size < 256) LOWER.set(keyword, lower);
  }
  return lower;
}

/** Whether heredocs are looked for: RUN/COPY/ADD in shell form, also under ONBUILD. */
export function canContainHeredoc(node: Node): boolean {
  const target = node.keyword === 'onbuild' && node.next ? node.next : node;
  return (target.keyword === 'run' || target.keyword === 'copy' || target.keyword === 'add') && !target.json;
}
