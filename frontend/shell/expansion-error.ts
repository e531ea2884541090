/**
 * A word could not be expanded: unterminated quote or `${`, bad substitution, unsupported
 * modifier, invalid pattern, or a `${v?msg}` / `${v:?msg}` check that failed.
 *
 * The frontend has no location at this level; the graph conversion wraps this error with
 * the instruction's source range. `code` matches core's parse error code so the CLI can map
 * it without importing the frontend's classes.
 */
export class ExpansionError extends Error {
  readonly code = 'E_PARSE';
  /** The word as given to the lexer, before expansion. */
  readonly word: string;
  /** The reason alone, without the `failed to process "<word>"` prefix. */
  readonly detail: string;

  constructor(word: string, detail: string, options?: ErrorOptions) {
    super(`failed to process ${JSON.stringify(word)}: ${detail}`, options);
    this.name = 'ExpansionError';
    this.word = word;
    this.detail = detail;
  }
}
