export * from './digest.js';
export * from './errors.js';
export * from './media-types.js';
export type * from './types.js';
