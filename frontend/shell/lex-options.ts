/** How a word is lexed. All flags default to false, like BuildKit's `Lex` fields. */
export interface LexOptions {
  /** The Dockerfile's `# escape=` character: `\` (default) or a backtick. */
  escapeToken?: string;
  /** Keep quote characters in the result (BuildKit `RawQuotes`). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result (BuildKit `RawEscapes`); used for heredoc bodies. */
  rawEscapes?: boolean;
  /** Treat `'` and `"` as ordinary characters (BuildKit `SkipProcessQuotes`). */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written, e.g. `${X:-d}` (BuildKit `SkipUnsetEnv`). */
  skipUnsetEnv?: boolean;
  /** Windows semantics: variable names compare case-insensitively. */
  caseInsensitiveEnv?: boolean;
}

/** The outcome of expanding one word. */
export interface ProcessWordResult {
  /** The expanded word; internal whitespace kept. */
  result: string;
  /** The word split into fields (for EXPOSE/VOLUME shell forms); quoted text stays whole. */
  words: string[];
  /** Names looked up and found (as written in the word), for lint and used-ARG tracking. */
  matched: Set<string>;
  /** Names looked up and not found. */
  unmatched: Set<string>;
}
