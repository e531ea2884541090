/**
 * HEALTHCHECK: `NONE`, or `CMD` in shell form (`["CMD-SHELL", cmd]`) or exec form
 * (`["CMD", ...]`), with Go-duration options converted to nanoseconds (0 = runtime default;
 * a non-zero value must be at least 1ms) and `--retries` >= 0.
 */
import type { Node } from '../parser/ast.js';
import { parseFlags } from './flags.js';
import { parseGoDuration } from './go-duration.js';
import { errAtLeastOneArgument, InstructionError } from './instruction-error.js';
import type { ParsedInstruction } from './types.js';

type Healthcheck = Extract<ParsedInstruction, { kind: 'healthcheck' }>;

export function parseHealthcheck(node: Node): Healthcheck {
  if (node.args.length === 0) throw errAtLeastOneArgument('HEALTHCHECK');
  const typ = node.args[0].toUpperCase();
  const args = node.args.slice(1);
  const empty = { interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (typ === 'NONE') {
    if (args.length !== 0) throw new InstructionError('HEALTHCHECK NONE takes no arguments');
    // BuildKit does not look at flags for NONE.
    return { kind: 'healthcheck', test: ['NONE'], ...empty };
  }
  const flags = parseFlags(node.flags, {
    interval: 'string',
    timeout: 'string',
    'start-period': 'string',
    'start-interval': 'string',
    retries: 'string',
  });
  if (typ !== 'CMD') throw new InstructionError(`Unknown type "${typ}" in HEALTHCHECK (try CMD)`);
  const cmd = node.json ? args : args.length === 0 ? [] : [args.join(' ')];
  if (cmd.length === 0) throw new InstructionError('Missing command after HEALTHCHECK CMD');
  const test = [node.json ? 'CMD' : 'CMD-SHELL', ...cmd];

  const interval = (name: string): number => {
    const v = flags.strings.get(name);
    if (v === undefined || v === '') return 0;
    const ns = parseGoDuration(v);
    if (ns === 0) return 0;
    if (ns < 1e6) throw new InstructionError(`Interval "${name}" cannot be less than 1ms`);
    return ns;
  };
  let retries = 0;
  const r = flags.strings.get('retries');
  if (r !== undefined && r !== '') {
    if (!/^[+-]?\d+$/.test(r) || Math.abs(Number(r)) > 2 ** 31 - 1) {
      throw new InstructionError(`strconv.ParseInt: parsing "${r}": invalid syntax`);
    }
    retries = Number(r);
    if (retries < 0) throw new InstructionError(`--retries cannot be negative (${retries})`);
  }
  return {
    kind: 'healthcheck',
    test,
    interval: interval('interval'),
    timeout: interval('timeout'),
    startPeriod: interval('start-period'),
    startInterval: interval('start-interval'),
    retries,
  };
}
