/** Small helpers to classify Node filesystem errors and map disk-full to NoSpaceError. */
import { NoSpaceError } from '../core/oci/index.js';

export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export function isNotFound(err: unknown): boolean {
  return errnoCode(err) === 'ENOENT';
}

/** ENOSPC and EDQUOT (quota) both mean "no room": the user must free space, not report a bug. */
export function isNoSpace(err: unknown): boolean {
  const c = errnoCode(err);
  return c === 'ENOSPC' || c === 'EDQUOT';
}

/** Returns a NoSpaceError for disk-full errors, the error itself otherwise (for `throw`). */
export function mapNoSpace(err: unknown, what: string): unknown {
  if (err instanceof NoSpaceError || !isNoSpace(err)) return err;
  return new NoSpaceError(`${what}: no space left on device`, { cause: err });
}
