/**
 * BuildKit's AST dump (`Node.Dump()`), the format of the golden `testfiles/<case>/result`
 * files: `(keyword ["--flag"] "arg" ...)`, ONBUILD nesting its instruction in parentheses.
 */
import type { Node, ParseResult } from './ast.js';
import { goQuote, goQuoteList } from './go-quote.js';
import { trimSpace } from './is-space.js';

/** One instruction as a golden `result` line (without the newline). */
export function dumpNode(node: Node): string {
  return `(${dumpInner(node)})`;
}

/** The whole file as a golden `result` file: one line per instruction, newline-terminated. */
export function dumpResult(result: Pick<ParseResult, 'nodes'>): string {
  let out = '';
  for (const node of result.nodes) out += `${dumpNode(node)}\n`;
  return out;
}

function dumpInner(node: Node): string {
  let s = node.keyword.toLowerCase();
  if (node.flags.length > 0) s += ` ${goQuoteList(node.flags)}`;
  for (const arg of node.args) s += ` ${goQuote(arg)}`;
  if (node.next) s += ` (${dumpInner(node.next)})`;
  // Go trims the dump, which matters only for an empty keyword.
  return trimSpace(s);
}
