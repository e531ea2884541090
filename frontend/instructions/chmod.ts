/**
 * `--chmod` validation (BuildKit dispatchCopy): an octal number up to 07777, or (Dockerfile
 * 1.14+) a symbolic mode such as `u=rwX,go=rX` or `+x`.
 */
import { InstructionError } from './instruction-error.js';

const SYMBOLIC = /^[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+$/;

/** @throws InstructionError when the value is neither a valid octal nor a symbolic mode. */
export function validateChmod(value: string): void {
  const nonOctal = new InstructionError(
    `invalid chmod parameter: '${value}'. it should be octal string and between 0 and 07777`,
  );
  if (/^\d+$/.test(value)) {
    // Digits 8/9 fail Go's base-8 parse; BuildKit reports them with the octal message too.
    if (!/^[0-7]+$/.test(value) || Number.parseInt(value, 8) > 0o7777) throw nonOctal;
    return;
  }
  if (value.split(',').every((clause) => SYMBOLIC.test(clause))) return;
  throw new InstructionError(`invalid chmod parameter: '${value}': not a valid octal or symbolic mode`);
}
