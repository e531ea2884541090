/**
 * Splitting the source into physical lines the way BuildKit's line scanner does: on `\n`
 * only, a UTF-8 BOM dropped from line 1, and a hard stop at a line longer than Go's
 * bufio.Scanner limit (65535 bytes), after which nothing more is read.
 */

/** Go's bufio.MaxScanTokenSize - 1: the longest line BuildKit can read. */
export const MAX_LINE_BYTES = 65535;

export interface SourceLines {
  /** Physical lines without their `\n` (a `\r` before it is kept). */
  raw: string[];
  /** Whether raw[i] was followed by `\n` (only the last line can lack one). */
  lastHasNewline: boolean;
  /** 1-based number of the first line that was too long to read, if any. */
  tooLongAt?: number;
}

// At most 3 UTF-8 bytes per UTF-16 unit: a line this short or shorter cannot be over the limit.
const SURELY_SHORT = Math.floor(MAX_LINE_BYTES / 3);

export function splitSourceLines(text: string): SourceLines {
  // One builtin split instead of an indexOf loop: the loop ran in the interpreter for most of
  // a first parse, while split is native code from the start.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const raw = body.split('\n');
  // A final `\n` leaves an empty last piece that is not a line (as is the one piece of "").
  if (raw[raw.length - 1] === '') raw.pop();
  let lastHasNewline = body.endsWith('\n');
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i];
    if (line.length > SURELY_SHORT && utf8Length(line) > MAX_LINE_BYTES) {
      // Nothing from the first over-long line on is read; the line before it had a newline.
      raw.length = i;
      lastHasNewline = i > 0;
      return { raw, lastHasNewline, tooLongAt: i + 1 };
    }
  }
  return { raw, lastHasNewline, tooLongAt: undefined };
}

/** `bytes.TrimRight(line, "\r\n")` for a line that has already lost its `\n`. */
export function trimNewline(line: string): string {
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 0x0d || line.charCodeAt(end - 1) === 0x0a)) end--;
  return end === line.length ? line : line.slice(0, end);
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
