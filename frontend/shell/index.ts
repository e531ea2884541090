export type { Env, EnvLookup } from './env.js';
export { toEnvLookup } from './env.js';
export { ExpansionError } from './expansion-error.js';
export { isSpace, trimSpace } from './is-space.js';
export type { LexOptions, ProcessWordResult } from './lex-options.js';
export { replacePattern, trimPrefix, trimSuffix } from './pattern-substitution.js';
export { expandWord, processWord, processWords, ShellLexer } from './shell-lexer.js';
