/**
 * Parser directives (`# escape=`, `# syntax=`, `# check=`): recognised only on the lines at
 * the very top of the file, before any instruction, blank line or ordinary comment.
 */
import type { Directives } from './ast.js';
import { trimLeftSpace } from './is-space.js';

// Go's `\s` is [\t\n\f\r ]; JS `\s` is wider, so the class is explicit.
const DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;
const KNOWN = new Set(['syntax', 'escape', 'check']);

/** A directive problem; the caller attaches the line. */
export class DirectiveError extends Error {}

/**
 * Feeds the file's leading lines one at a time. Once a line is not a known directive the
 * scanner is done for good and every later call returns false without looking.
 */
export class DirectiveScanner {
  readonly directives: Directives = { escape: '\\' };
  #done = false;
  #seen = new Set<string>();

  get done(): boolean {
    return this.#done;
  }

  /**
   * `line` is one physical line without its newline, already left-trimmed. Returns true
   * when it was a directive (and so must not be treated as an instruction). Throws
   * DirectiveError for a repeated directive or a bad escape value.
   */
  scan(line: string): boolean {
    if (this.#done) return false;
    if (!line.startsWith('#')) {
      this.#done = true;
      return false;
    }
    const m = DIRECTIVE.exec(trimLeftSpace(line.slice(1)));
    const key = m?.[1].toLowerCase();
    if (!m || !key || !KNOWN.has(key)) {
      this.#done = true;
      return false;
    }
    if (this.#seen.has(key)) throw new DirectiveError(`only one ${key} parser directive can be used`);
    this.#seen.add(key);
    const value = m[2];
    if (key === 'escape') {
      if (value !== '`' && value !== '\\') {
        throw new DirectiveError(`invalid escape token '${value}' does not match \` or \\`);
      }
      this.directives.escape = value;
    } else if (key === 'syntax') {
      this.directives.syntax = value;
    } else {
      this.directives.check = value;
    }
    return true;
  }
}
