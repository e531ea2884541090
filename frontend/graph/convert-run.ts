/**
 * RUN after expansion: each `--mount` value expanded with the stage env and checked again
 * (the first check skipped `$` values), `from` resolved, bind/cache/tmpfs targets made
 * absolute against the working directory, and BuildKit's defaults filled in (cache id =
 * cleaned target, sharing shared; secret id = source or basename of target, target
 * `/run/secrets/<id>` unless exposed as env; ssh id `default`). The command is not expanded.
 */

import { cleanPath } from '../dockerignore/clean-path.js';
import { InstructionError, type ParsedInstruction, parseMount } from '../instructions/index.js';
import { resolveWorkdir } from './path-clean.js';
import type { StageCommand } from './stage-table.js';
import type { Instruction, RunMount } from './types.js';

type Run = Extract<ParsedInstruction, { kind: 'run' }>;

export function convertRun(
  p: Run,
  cmd: StageCommand,
  expand: (word: string) => string,
  workdir: string,
  networkMode: 'default' | 'none' | 'host' = 'default',
): Extract<Instruction, { kind: 'run' }> {
  const mounts = p.mounts.map((spec, i): RunMount => {
    const m = parseMount(spec.csv, expand);
    const out: RunMount = { type: m.type, readonly: m.readonly };
    const from = cmd.mountFrom?.[i];
    if (from) out.from = from;
    for (const k of ['mode', 'uid', 'gid'] as const) if (m[k] !== undefined) out[k] = m[k];
    if (m.type === 'secret') {
      const id = m.source || m.id || (m.target ? basename(m.target) : '');
      if (id === '') throw new InstructionError('one of source, target required');
      out.id = id;
      const target = m.target || (m.env === undefined ? `/run/secrets/${basename(id)}` : undefined);
      if (target !== undefined) out.target = target;
      if (m.env !== undefined) out.env = m.env;
      out.required = m.required;
      return out;
    }
    if (m.type === 'ssh') {
      if (m.source) throw new InstructionError('ssh does not support source');
      out.id = m.id || 'default';
      if (m.target) out.target = m.target;
      out.required = m.required;
      return out;
    }
    const target = resolveWorkdir(workdir, m.target ?? '');
    if (target === '/') throw new InstructionError(`invalid mount target "${target}"`);
    out.target = target;
    if (m.source !== undefined) out.source = m.source;
    if (m.type === 'cache') {
      out.id = m.id || cleanPath(m.target ?? '');
      out.sharing = m.sharing ?? 'shared';
    }
    if (m.type === 'tmpfs' && m.size !== undefined) out.size = m.size;
    return out;
  });
  const out: Extract<Instruction, { kind: 'run' }> = {
    kind: 'run',
    command: p.command,
    mounts,
    network: p.network === 'default' ? networkMode : p.network,
    security: p.security,
    files: p.files,
  };
  if (p.devices.length > 0) out.devices = p.devices;
  return out;
}

function basename(p: string): string {
  const parts = p.split('/').filter((s) => s !== '');
  return parts.length === 0 ? '/' : parts[parts.length - 1];
}
