/** Typed instructions: AST node -> ParsedInstruction, and the validators graph conversion reuses. */
export { validateChmod } from './chmod.js';
export { csvFields } from './csv-fields.js';
export { parseExposedPorts } from './expose-ports.js';
export type { FlagKind, FlagSpec, ParsedFlags } from './flags.js';
export { parseFlags } from './flags.js';
export { parseGoDuration } from './go-duration.js';
export {
  errAtLeastOneArgument,
  errBadHeredoc,
  errBlankCommandNames,
  errExactlyOneArgument,
  errNoDestinationArgument,
  errNotJSON,
  InstructionError,
} from './instruction-error.js';
export type { MountSharing, MountType, ParsedMount } from './run-mount.js';
export { parseMount } from './run-mount.js';
export { validateSignal } from './signal.js';
export type { SourceInfo } from './to-instruction.js';
export { toInstruction } from './to-instruction.js';
export type { HeredocSource, MountSpec, ParsedInstruction, ParsedKind } from './types.js';
