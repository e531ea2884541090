import { trimSpace } from '../shell/is-space.js';
import { cleanPath } from './clean-path.js';

/**
 * Parses `.dockerignore` text into patterns, as moby's `ignorefile.ReadAll` does:
 * - a UTF-8 BOM at the start is dropped; lines end at `\n` (a trailing `\r` is dropped);
 * - a line whose first character is `#` is a comment (`  #x` is a pattern);
 * - lines are trimmed and blank ones skipped;
 * - a leading `!` marks an exception and the rest is trimmed again;
 * - the pattern is cleaned (`./`, `//`, `a/../` removed) and one leading `/` dropped, so
 *   `/foo`, `./foo` and `foo` are the same pattern.
 * A lone `!` is returned as is; PatternMatcher rejects it.
 */
export function readIgnoreFile(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.split('\n');
  // Like bufio.Scanner: a final newline does not start another line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (i === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.startsWith('#')) continue;
    let pattern = trimSpace(line);
    if (pattern === '') continue;
    const invert = pattern[0] === '!';
    if (invert) pattern = trimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern[0] === '/') pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}
