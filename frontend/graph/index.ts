/** Build graph conversion: ParseResult + options -> BuildGraph. */
export { baseImageRefs, baseImageUses } from './base-image-refs.js';
export { FALLBACK_PLATFORM, formatPlatform, type Platform, parsePlatform } from './platform-args.js';
export { toGraph } from './to-graph.js';
export type * from './types.js';
