/** core/fsck: verify a store against its own names and records, and repair what is damaged. */
export { type FsckOptions, fsck } from './fsck.js';
export type { FsckCounts, FsckProblem, FsckReport, ProblemKind, RepairAction } from './fsck-report.js';
