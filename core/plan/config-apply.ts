/**
 * Replays what each metadata instruction does to an image config, as BuildKit's
 * dispatchers do (formats.md 1.12). Pure: the planner runs it to know RUN's env/cwd/user
 * before anything executes, and the executor runs it again to build the final config.
 */
import type { Command, Step } from '../../frontend/graph/types.js';
import type { ContainerConfig } from '../oci/types.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Mutable per-stage state while replaying a stage's steps. */
export interface StageState {
  config: ContainerConfig;
  author?: string;
  /** ENV and in-scope ARG values in definition order: what RUN sees (formats.md 1.10). */
  buildEnv: Map<string, string>;
  /** Whether a CMD was set in this stage (ENTRYPOINT's CMD-reset rule). */
  cmdSet: boolean;
}

export function envToMap(env: readonly string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of env ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i), kv.slice(i + 1));
    else m.set(kv, '');
  }
  return m;
}

/** Starts a stage from a base config: a copy, PATH defaulted, as BuildKit does. */
export function initStageState(base: ContainerConfig | undefined, scratch: boolean): StageState {
  const config: ContainerConfig = structuredClone(base ?? {});
  if (scratch) config.WorkingDir = config.WorkingDir ?? '/';
  const env = config.Env ? [...config.Env] : [];
  if (!env.some((e) => e.startsWith('PATH='))) env.push(`PATH=${DEFAULT_PATH}`);
  config.Env = env;
  // ONBUILD triggers of the base ran as the stage's first steps; they are not inherited further.
  if (config.OnBuild) delete config.OnBuild;
  return { config, buildEnv: envToMap(env), cmdSet: false };
}

/**
 * Starts a stage FROM an earlier stage: that stage's state, CMD not yet set by this one, and
 * no ONBUILD triggers: they ran as this stage's first steps (frontend/graph applyTriggers)
 * and do not carry over, as BuildKit's dispatchState.init clears them.
 */
export function inheritStageState(from: StageState): StageState {
  const state: StageState = { ...structuredClone(from), cmdSet: false };
  if (state.config.OnBuild) delete state.config.OnBuild;
  return state;
}

function setEnv(config: ContainerConfig, key: string, value: string): void {
  const env = config.Env ?? [];
  const i = env.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (i >= 0) env[i] = `${key}=${value}`;
  else env.push(`${key}=${value}`);
  config.Env = env;
}

/** The argv a command runs as: shell form is wrapped in SHELL (default /bin/sh -c). */
export function commandArgv(cmd: Command, shell: string[] | undefined): string[] {
  return cmd.form === 'exec' ? [...cmd.args] : [...(shell ?? DEFAULT_SHELL), cmd.text];
}

/**
 * Applies one step's effect on the config. Layer-producing steps (RUN, COPY, ADD, WORKDIR's
 * mkdir) change only WorkingDir here; their layers are the executor's business.
 */
export function applyStep(state: StageState, step: Step): void {
  const ins = step.instruction;
  const c = state.config;
  switch (ins.kind) {
    case 'env':
      for (const [k, v] of ins.pairs) {
        setEnv(c, k, v);
        state.buildEnv.set(k, v);
      }
      break;
    case 'arg':
      for (const a of ins.args) {
        const v = a.value ?? step.args.find(([n]) => n === a.name)?.[1];
        if (v !== undefined) state.buildEnv.set(a.name, v);
      }
      break;
    case 'label':
      c.Labels = { ...(c.Labels ?? {}) };
      for (const [k, v] of ins.pairs) c.Labels[k] = v;
      break;
    case 'maintainer':
      state.author = ins.name;
      break;
    case 'expose':
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of ins.ports) c.ExposedPorts[p] = {};
      break;
    case 'user':
      c.User = ins.user;
      break;
    case 'workdir':
      c.WorkingDir = ins.path;
      break;
    case 'cmd':
      c.Cmd = commandArgv(ins.command, c.Shell);
      c.ArgsEscaped = true;
      state.cmdSet = true;
      break;
    case 'entrypoint':
      c.Entrypoint = commandArgv(ins.command, c.Shell);
      if (!state.cmdSet) c.Cmd = null;
      break;
    case 'volume':
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const p of ins.paths) c.Volumes[p] = {};
      break;
    case 'stopsignal':
      c.StopSignal = ins.signal;
      break;
    case 'healthcheck': {
      if (ins.test.length === 1 && ins.test[0] === 'NONE') {
        c.Healthcheck = { Test: ['NONE'] };
        break;
      }
      const h: ContainerConfig['Healthcheck'] = { Test: ins.test };
      if (ins.interval) h.Interval = ins.interval;
      if (ins.timeout) h.Timeout = ins.timeout;
      if (ins.startPeriod) h.StartPeriod = ins.startPeriod;
      if (ins.startInterval) h.StartInterval = ins.startInterval;
      if (ins.retries) h.Retries = ins.retries;
      c.Healthcheck = h;
      break;
    }
    case 'shell':
      c.Shell = [...ins.shell];
      break;
    case 'onbuild':
      c.OnBuild = [...(c.OnBuild ?? []), ins.trigger];
      break;
    case 'run':
    case 'copy':
    case 'add':
      break;
  }
}

/** The env a RUN step sees: ENV and in-scope ARGs, later definitions winning. */
export function runEnv(state: StageState): string[] {
  return [...state.buildEnv].map(([k, v]) => `${k}=${v}`);
}

/** Whether a step can make a layer (the rest only touch the config). */
export function makesLayer(step: Step): boolean {
  const k = step.instruction.kind;
  return k === 'run' || k === 'copy' || k === 'add' || (k === 'workdir' && step.instruction.path !== '/');
}

/** History `created_by`, as BuildKit writes it. */
export function createdBy(step: Step, state: StageState): string {
  const ins = step.instruction;
  if (ins.kind === 'run') {
    const argv = commandArgv(ins.command, state.config.Shell);
    const args = step.args.map(([k, v]) => `${k}=${v}`);
    const prefix = args.length > 0 ? `|${args.length} ${args.join(' ')} ` : '';
    return `RUN ${prefix}${argv.join(' ')} # buildkit`;
  }
  if (ins.kind === 'copy' || ins.kind === 'add') {
    // BuildKit's commit message (dockerfile2llb convert_copy.go): --parents, --chown and
    // --chmod are recorded, --from, --link and --exclude are not.
    const words = [ins.kind.toUpperCase()];
    if (ins.parents) words.push('--parents');
    if (ins.chown) words.push(`--chown=${ins.chown}`);
    if (ins.chmod) words.push(`--chmod=${ins.chmod}`);
    words.push(...ins.sources, ...ins.heredocs.map((h) => `<<${h.name}`), ins.dest);
    return `${words.join(' ')} # buildkit`;
  }
  // Go's %v of BuildKit's port list: the arguments sorted as written, then each expanded
  // to port/proto (frontend/instructions and expose-ports.ts keep that order).
  if (ins.kind === 'expose') return `EXPOSE [${ins.ports.join(' ')}]`;
  return step.source.replace(/\s+/g, ' ').trim();
}
