/**
 * The human-readable form of a BuildGraph for `strata parse`: one block per stage, one line
 * per step with its expanded values, the ARGs it sees, and the source line it came from.
 */
import type {
  BuildGraph,
  Command,
  Instruction,
  RunMount,
  SourceRef,
  Stage,
  Step,
} from '../frontend/index.js';

export function formatGraphTree(graph: BuildGraph, lines: readonly string[]): string {
  const out: string[] = [];
  const d = graph.directives;
  out.push(`file: ${graph.file}`);
  if (d.syntax !== undefined) out.push(`syntax: ${d.syntax} (recorded, not fetched)`);
  if (d.escape !== '\\') out.push(`escape: ${d.escape}`);
  if (d.check !== undefined) out.push(`check: ${d.check}`);
  const names = new Map(graph.stages.map((s) => [s.index, stageName(s)]));
  const target = graph.stages.find((s) => s.index === graph.target);
  out.push(`target: ${target ? names.get(target.index) : graph.target}`);
  for (const stage of graph.stages) {
    out.push('');
    const base =
      stage.base.kind === 'scratch'
        ? 'scratch'
        : stage.base.kind === 'image'
          ? `image ${stage.base.ref}`
          : `stage ${names.get(stage.base.index) ?? stage.base.index}`;
    out.push(
      `${names.get(stage.index)}  FROM ${base}${stage.platform ? ` (platform ${stage.platform})` : ''}`,
    );
    out.push(`  line ${stage.range.start.line}: ${stage.source}`);
    if (stage.deps.length > 0) out.push(`  needs: ${stage.deps.map((i) => names.get(i) ?? i).join(', ')}`);
    stage.steps.forEach((step) => {
      out.push(`  [${step.index + 1}/${stage.steps.length}] ${describe(step.instruction, names)}`);
      if (step.args.length > 0 && step.instruction.kind === 'run') {
        out.push(`        args: ${step.args.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      }
      out.push(`        ${sourceNote(step, lines)}`);
    });
  }
  if (graph.warnings.length > 0) {
    out.push('', 'warnings:');
    for (const w of graph.warnings)
      out.push(`  ${w.range ? `line ${w.range.start.line}: ` : ''}${w.message}`);
  }
  if (graph.unusedBuildArgs.length > 0) {
    out.push('', `build args not consumed by any ARG: ${graph.unusedBuildArgs.join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}

function stageName(s: Stage): string {
  return s.name ? `stage ${s.index} "${s.name}"` : `stage ${s.index}`;
}

function sourceNote(step: Step, lines: readonly string[]): string {
  const line = step.range.start.line;
  const text = step.fromOnBuild ? step.source : (lines[line - 1]?.trim() ?? step.source);
  return `${step.fromOnBuild ? 'ONBUILD trigger, FROM at ' : ''}line ${line}: ${text.split('\n')[0]}`;
}

function ref(r: SourceRef, names: Map<number, string>): string {
  return r.kind === 'stage' ? (names.get(r.index) ?? `stage ${r.index}`) : `image ${r.ref}`;
}

function command(c: Command): string {
  return c.form === 'exec' ? JSON.stringify(c.args) : c.text;
}

function mount(m: RunMount, names: Map<number, string>): string {
  const parts = [`type=${m.type}`];
  if (m.target !== undefined) parts.push(`target=${m.target}`);
  if (m.source !== undefined) parts.push(`source=${m.source}`);
  if (m.from !== undefined) parts.push(`from=${ref(m.from, names)}`);
  if (m.id !== undefined) parts.push(`id=${m.id}`);
  if (m.sharing !== undefined) parts.push(`sharing=${m.sharing}`);
  if (m.env !== undefined) parts.push(`env=${m.env}`);
  parts.push(m.readonly ? 'ro' : 'rw');
  return `--mount=${parts.join(',')}`;
}

const pairs = (ps: [string, string][]) => ps.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');

function describe(i: Instruction, names: Map<number, string>): string {
  switch (i.kind) {
    case 'run': {
      const flags = i.mounts.map((m) => mount(m, names));
      if (i.network !== 'default') flags.push(`--network=${i.network}`);
      if (i.security !== 'sandbox') flags.push(`--security=${i.security}`);
      const files = i.files.map((f) => ` (script /dev/pipes/${f.name}, ${f.content.length} bytes)`).join('');
      return ['RUN', ...flags, command(i.command)].join(' ') + files;
    }
    case 'copy':
    case 'add': {
      const flags: string[] = [];
      if (i.from) flags.push(`--from=${ref(i.from, names)}`);
      if (i.chown) flags.push(`--chown=${i.chown}`);
      if (i.chmod) flags.push(`--chmod=${i.chmod}`);
      if (i.link) flags.push('--link');
      if (i.parents) flags.push('--parents');
      for (const e of i.exclude) flags.push(`--exclude=${e}`);
      if (i.checksum) flags.push(`--checksum=${i.checksum}`);
      const srcs = [...i.sources, ...i.heredocs.map((h) => `<<${h.name} (${h.content.length} bytes)`)];
      return [i.kind.toUpperCase(), ...flags, ...srcs, '->', i.dest].join(' ');
    }
    case 'env':
    case 'label':
      return `${i.kind.toUpperCase()} ${pairs(i.pairs)}`;
    case 'arg':
      return `ARG ${i.args.map((a) => (a.value === undefined ? `${a.name} (unset)` : `${a.name}=${JSON.stringify(a.value)}`)).join(' ')}`;
    case 'maintainer':
      return `MAINTAINER ${i.name}`;
    case 'expose':
      return `EXPOSE ${i.ports.join(' ')}`;
    case 'user':
      return `USER ${i.user}`;
    case 'workdir':
      return `WORKDIR ${i.path}`;
    case 'cmd':
    case 'entrypoint':
      return `${i.kind.toUpperCase()} ${command(i.command)}`;
    case 'volume':
      return `VOLUME ${JSON.stringify(i.paths)}`;
    case 'stopsignal':
      return `STOPSIGNAL ${i.signal}`;
    case 'healthcheck':
      return `HEALTHCHECK ${JSON.stringify(i.test)} interval=${i.interval}ns timeout=${i.timeout}ns retries=${i.retries}`;
    case 'shell':
      return `SHELL ${JSON.stringify(i.shell)}`;
    case 'onbuild':
      return `ONBUILD ${i.trigger}`;
  }
}
