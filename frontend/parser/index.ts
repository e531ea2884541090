/** The Dockerfile parser's public surface. */
export type * from './ast.js';
export { dumpNode, dumpResult } from './dump.js';
export { chompHeredocContent, heredocsFromLine, parseHeredoc } from './heredocs.js';
export { type ParseOptions, parse } from './parse.js';
