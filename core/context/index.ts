export {
  BuildContext,
  type OpenContextOptions,
  openContext,
  type ResolveSourcesOptions,
} from './build-context.js';
export { ContentHasher, type EntryContent, headerDigest } from './content-hasher.js';
export { cleanSourcePath, resolveInContext } from './context-path.js';
export type { EntryType, FileEntry, ResolvedSource, SourceMatch } from './file-entry.js';
export { entryFromStat, entryTypeOf } from './file-entry.js';
export { goMatch, hasWildcard } from './go-match.js';
export { compileIgnore } from './ignore-rules.js';
export { createLimiter, type Limiter } from './limit.js';
export { readXattrs } from './read-xattrs.js';
export { type PathFilter, resolveSourcesIn, type SourceView } from './resolve-sources.js';
export { type FileDigest, type SourceChecksum, type SourceOrigin, SourceSet } from './source-set.js';
export { type MetaStore, StatCache } from './stat-cache.js';
export { type ListedChild, type TreeSource, walkTree } from './walk-tree.js';
