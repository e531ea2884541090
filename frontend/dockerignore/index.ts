export { cleanPath, dirPath } from './clean-path.js';
export { IgnorePattern, type MatchKind } from './ignore-pattern.js';
export { IgnorePatternError } from './ignore-pattern-error.js';
export { type MatchInfo, PatternMatcher } from './pattern-matcher.js';
export { readIgnoreFile } from './read-ignore-file.js';
