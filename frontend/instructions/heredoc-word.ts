/**
 * BuildKit's `MustParseHeredoc`: the heredoc a single argument word opens, or undefined when
 * it is not exactly one heredoc word; lexing errors count as "not a heredoc" there too.
 */

import type { Heredoc } from '../parser/ast.js';
import { parseHeredoc } from '../parser/heredocs.js';

export function heredocWord(word: string): Heredoc | undefined {
  try {
    return parseHeredoc(word) ?? undefined;
  } catch {
    return undefined;
  }
}
