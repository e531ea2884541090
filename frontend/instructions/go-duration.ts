/**
 * Go's `time.ParseDuration`, returning integer nanoseconds: a sequence of decimal numbers
 * with units `ns us µs μs ms s m h` (`1h30m`, `1.5s`, `-2m`); a bare `0` is allowed.
 */
import { InstructionError } from './instruction-error.js';

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

export function parseGoDuration(text: string): number {
  const bad = () => new InstructionError(`time: invalid duration "${text}"`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw bad();
  let total = 0;
  const re = /^(\d*)(?:\.(\d*))?([^\d.]+)/;
  while (s !== '') {
    const m = re.exec(s);
    if (!m && /^\d*(\.\d*)?$/.test(s)) throw new InstructionError(`time: missing unit in duration "${text}"`);
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) throw bad();
    const unit = UNITS[m[3]];
    if (unit === undefined) throw new InstructionError(`time: unknown unit "${m[3]}" in duration "${text}"`);
    const whole = m[1] === '' ? 0 : Number(m[1]);
    const frac = m[2] ? Number(`0.${m[2]}`) : 0;
    total += whole * unit + Math.round(frac * unit);
    s = s.slice(m[0].length);
  }
  if (!Number.isSafeInteger(total)) throw new InstructionError(`time: invalid duration "${text}"`);
  return sign * total;
}
