/**
 * The small set of error classes strata raises, each with a stable `code`. cmd/main.ts maps
 * them to exit codes. Messages are lowercase "verb object: detail"; chain with `{ cause }`.
 * These live in core/oci because store/ may import only core/oci (the shared leaf).
 */
export type ErrorCode =
  | 'E_PARSE'
  | 'E_INVALID'
  | 'E_NOT_FOUND'
  | 'E_DIGEST_MISMATCH'
  | 'E_RUN_FAILED'
  | 'E_RUNTIME_MISSING'
  | 'E_SECURITY'
  | 'E_NO_SPACE'
  | 'E_REGISTRY'
  | 'E_INTERNAL';

export class StrataError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad user input that is not Dockerfile text: a flag value, a reference, a path. */
export class InvalidInputError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INVALID', message, options);
  }
}

export class NotFoundError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_NOT_FOUND', message, options);
  }
}

export class DigestMismatchError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_DIGEST_MISMATCH', message, options);
  }
}

export class RunFailedError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_RUN_FAILED', message, options);
  }
}

export class RuntimeMissingError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_RUNTIME_MISSING', message, options);
  }
}

/** Refused because it would let a build touch what it must not (escapes, old runc). */
export class SecurityError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SECURITY', message, options);
  }
}

export class NoSpaceError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_NO_SPACE', message, options);
  }
}

export class InternalError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INTERNAL', message, options);
  }
}
