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
  const cut = continuationCut(line, escapeChar);
  return cut < 0 ? { text: line, continues: false } : { text: line.slice(0, cut), continues: true };
}

/**
 * `trimContinuation` without the result object (parse calls it for every line): -1 when the
 * line does not continue, else the length of the text before the continuation character.
 */
export function continuationCut(line: string, escapeChar: string): number {
  const esc = escapeChar.charCodeAt(0);
  let i = line.length - 1;
  while (i >= 0 && (line.charCodeAt(i) === 0x20 || line.charCodeAt(i) === 0x09)) i--;
  if (i < 0 || line.charCodeAt(i) !== esc) return -1;
  if (i === 0) return 0;
  if (line.charCodeAt(i - 1) === esc) return -1;
  return i;
}
