/**
 * The frontend's public surface: Dockerfile text -> AST (parser) -> typed instructions ->
 * BuildGraph (graph), plus word expansion (shell), .dockerignore matching (dockerignore) and
 * the one error class (errors). Pure: no filesystem, network, crypto or process.
 */
export * from './dockerignore/index.js';
export * from './errors.js';
export * from './graph/index.js';
export * from './instructions/index.js';
export * from './parser/index.js';
export * from './shell/index.js';
