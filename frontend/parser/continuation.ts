/**
 * Line continuation: a line continues when its last non-blank character is the escape
 * character and that one is not itself escaped (or is alone on the line). As in BuildKit,
 * a line ending in an escaped escape (`\\`) does not continue, and neither does `\\\`.
 */

/**
 * Returns the line with the continuation character and trailing blanks removed, and
 * whether the instruction continues on the next line.
 */
export function trimContinuation(line: string, escapeChar: string): { text: string; continues: boolean } {
  let i = line.length - 1;
  while (i >= 0 && (line[i] === ' ' || line[i] === '\t')) i--;
  if (i < 0 || line[i] !== escapeChar) return { text: line, continues: false };
  if (i === 0) return { text: '', continues: true };
  if (line[i - 1] === escapeChar) return { text: line, continues: false };
  return { text: line.slice(0, i), continues: true };
}
