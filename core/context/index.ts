export type { EntryType, FileEntry, ResolvedSource, SourceMatch } from '../fs/file-entry.js';
export { entryFromStat, entryTypeOf } from '../fs/file-entry.js';
export { type ListedChild, type TreeSource, walkTree } from '../fs/walk-tree.js';
export {
  BuildContext,
  type OpenContextOptions,
  openContext,
  type ResolveSourcesOptions,
} from './build-context.js';
export { ContentHasher, type EntryContent, headerDigest } from './content-hasher.js';
export { cleanSourcePath, resolveInContext } from './context-path.js';
export { goMatch, hasWildcard } from './go-match.js';
export { compileIgnore } from './ignore-rules.js';
export { createLimiter, type Limiter } from './limit.js';
export { readXattrs } from './read-xattrs.js';
export { type PathFilter, resolveSourcesIn, type SourceView } from './resolve-sources.js';
export { type FileDigest, type SourceChecksum, type SourceOrigin, SourceSet } from './source-set.js';
export { type MetaStore, StatCache } from './stat-cache.js';
