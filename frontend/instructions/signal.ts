/**
 * STOPSIGNAL validation as moby's `signal.ParseSignal` on Linux: a non-zero number, or a
 * signal name with or without `SIG` in any case. The value is stored as written.
 */
import { InstructionError } from './instruction-error.js';

const NAMES = new Set([
  'ABRT',
  'ALRM',
  'BUS',
  'CHLD',
  'CLD',
  'CONT',
  'FPE',
  'HUP',
  'ILL',
  'INT',
  'IO',
  'IOT',
  'KILL',
  'PIPE',
  'POLL',
  'PROF',
  'PWR',
  'QUIT',
  'SEGV',
  'STKFLT',
  'STOP',
  'SYS',
  'TERM',
  'TRAP',
  'TSTP',
  'TTIN',
  'TTOU',
  'URG',
  'USR1',
  'USR2',
  'VTALRM',
  'WINCH',
  'XCPU',
  'XFSZ',
  'RTMIN',
  'RTMAX',
]);
for (let i = 1; i <= 15; i++) NAMES.add(`RTMIN+${i}`);
for (let i = 1; i <= 14; i++) NAMES.add(`RTMAX-${i}`);

/** @throws InstructionError `invalid signal: X` */
export function validateSignal(raw: string): void {
  if (/^[+-]?\d+$/.test(raw)) {
    if (Number(raw) === 0) throw new InstructionError(`invalid signal: ${raw}`);
    return;
  }
  const upper = raw.toUpperCase();
  const name = upper.startsWith('SIG') ? upper.slice(3) : upper;
  if (!NAMES.has(name)) throw new InstructionError(`invalid signal: ${raw}`);
}
