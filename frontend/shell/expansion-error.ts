import { DockerfileError } from '../errors.js';

/**
 * A word could not be expanded: unterminated quote or `${`, bad substitution, unsupported
 * modifier, invalid pattern, or a `${v?msg}` / `${v:?msg}` check that failed.
 *
 * The lexer knows no location; it is a DockerfileError without a range, so the graph
 * conversion's `withLocation(err, range)` attaches the instruction's range to this same
 * object. `code` is `E_PARSE`.
 */
export class ExpansionError extends DockerfileError {
  /** The word as given to the lexer, before expansion. */
  readonly word: string;
  /** The reason alone, without the `failed to process "<word>"` prefix. */
  readonly detail: string;

  constructor(word: string, detail: string, options?: { cause?: unknown }) {
    super(`failed to process ${JSON.stringify(word)}: ${detail}`, { cause: options?.cause });
    this.name = 'ExpansionError';
    this.word = word;
    this.detail = detail;
  }
}
