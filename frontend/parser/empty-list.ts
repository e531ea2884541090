/**
 * One shared, frozen empty array for the many AST and instruction fields that are usually
 * empty (flags, heredocs, mounts, ...). A fresh `[]` per node was a large share of what a
 * parse allocates and keeps alive. It is typed `never[]` so it fits any `T[]` field of the
 * public types; freezing makes an accidental push throw instead of silently changing every
 * node that shares it. Code that fills such a field assigns a new array instead.
 */
export const EMPTY_LIST = Object.freeze([]) as never[];
