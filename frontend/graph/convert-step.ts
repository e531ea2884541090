/**
 * One stage instruction to one graph `Instruction`, expanding exactly what BuildKit expands
 * (formats.md 1.8) against the env as it was before the instruction, and updating the stage
 * state (ENV, ARG, WORKDIR). RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK/ONBUILD are not expanded.
 */
import { InstructionError, parseExposedPorts, validateSignal } from '../instructions/index.js';
import { expandWord, processWords } from '../shell/index.js';
import { convertCopy } from './convert-copy.js';
import { convertRun } from './convert-run.js';
import type { EnvList } from './env-list.js';
import { resolveWorkdir } from './path-clean.js';
import { declareArg, type StageState } from './stage-state.js';
import type { StageCommand } from './stage-table.js';
import type { Instruction } from './types.js';

export interface ConvertContext {
  state: StageState;
  escape: string;
  /** Global args (for in-stage `ARG NAME` imports). */
  globalEnv: EnvList;
  buildArgs: Record<string, string>;
  /** Every ARG name declared by converted steps, for unused build-arg reporting. */
  declared: Set<string>;
  /** The build's `--network` (GraphOptions.networkMode). */
  networkMode?: 'default' | 'none' | 'host';
}

/** @throws InstructionError or ExpansionError; the caller locates them at `cmd.range`. */
export function convertStep(cmd: StageCommand, ctx: ConvertContext): Instruction {
  const { state } = ctx;
  const lex = { escapeToken: ctx.escape };
  // A live view, not a copy: every word is expanded before this step changes the env.
  const env = state.env.view();
  const expand = (word: string) => expandWord(word, env, lex);
  const p = cmd.parsed;
  switch (p.kind) {
    case 'from':
      throw new InstructionError('FROM inside a stage');
    case 'run':
      return convertRun(p, cmd, expand, state.workdir, ctx.networkMode);
    case 'copy':
    case 'add':
      return convertCopy(p, cmd, expand, env);
    case 'env': {
      const pairs = p.pairs.map(([k, v]): [string, string] => [expand(k), expand(v)]);
      for (const [k, v] of pairs) state.env.set(k, v);
      return { kind: 'env', pairs };
    }
    case 'label':
      return { kind: 'label', pairs: p.pairs.map(([k, v]): [string, string] => [expand(k), expand(v)]) };
    case 'arg':
      return { kind: 'arg', args: p.args.map((a) => convertArg(a, ctx)) };
    case 'maintainer':
      return { kind: 'maintainer', name: p.name };
    case 'expose':
      return { kind: 'expose', ports: parseExposedPorts(p.ports.flatMap((w) => processWords(w, env, lex))) };
    case 'user':
      return { kind: 'user', user: expand(p.user) };
    case 'workdir': {
      state.workdir = resolveWorkdir(state.workdir, expand(p.path));
      return { kind: 'workdir', path: state.workdir };
    }
    case 'volume': {
      const paths = p.paths.map(expand);
      if (paths.includes('')) throw new InstructionError('VOLUME specified can not be an empty string');
      return { kind: 'volume', paths };
    }
    case 'stopsignal': {
      const signal = expand(p.signal);
      validateSignal(signal);
      return { kind: 'stopsignal', signal };
    }
    case 'cmd':
    case 'entrypoint':
      return { kind: p.kind, command: p.command };
    case 'healthcheck':
      return { ...p };
    case 'shell':
      return { kind: 'shell', shell: p.shell };
    case 'onbuild':
      return { kind: 'onbuild', trigger: p.trigger };
  }
}

/**
 * BuildKit's dispatchArg: a build-arg wins; else the default, expanded with the env as it is
 * now (so `ARG a=1 b=$a` sees a); else a bare `ARG NAME` imports the global value; else the
 * ARG stays unset. A set value joins the build env.
 */
function convertArg(
  a: { name: string; value?: string },
  ctx: ConvertContext,
): { name: string; value?: string } {
  const { state } = ctx;
  ctx.declared.add(a.name);
  let value: string | undefined;
  if (Object.hasOwn(ctx.buildArgs, a.name)) value = ctx.buildArgs[a.name];
  else if (a.value !== undefined) value = expandWord(a.value, state.env.view(), { escapeToken: ctx.escape });
  else value = ctx.globalEnv.get(a.name);
  if (value !== undefined) state.env.set(a.name, value);
  declareArg(state, a.name, value);
  return value === undefined ? { name: a.name } : { name: a.name, value };
}
