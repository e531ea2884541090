/**
 * A `.dockerignore` pattern is malformed: a lone `!`, a bad character class (`[`, `[]a]`,
 * `[a-b-c]`, a reversed range such as `[z-a]`) or a trailing `\`. Thrown when the matcher is
 * built, so a bad file fails the build before any context file is read. `code` matches
 * core's parse error code.
 */
export class IgnorePatternError extends Error {
  readonly code = 'E_PARSE';
  /** The pattern as given to the matcher. */
  readonly pattern: string;

  constructor(pattern: string, detail: string, options?: ErrorOptions) {
    super(`parse ignore pattern ${JSON.stringify(pattern)}: ${detail}`, options);
    this.name = 'IgnorePatternError';
    this.pattern = pattern;
  }
}
