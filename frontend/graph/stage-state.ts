/**
 * What conversion tracks while walking a stage: the build env (for expansion), the ARGs
 * declared so far (for `Step.args`), and the working directory (for relative WORKDIR and
 * mount targets). A stage built FROM another stage starts from that stage's final state.
 */
import { EnvList } from './env-list.js';
import type { BaseImageInfo } from './types.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface StageState {
  env: EnvList;
  /** Declared ARGs in order; a name declared again keeps its first position. */
  args: { name: string; value?: string }[];
  /** Absolute, clean. */
  workdir: string;
}

/** The state of a stage starting from an image (`info` when the caller knows it) or scratch. */
export function imageState(info: BaseImageInfo | undefined): StageState {
  const env = EnvList.fromStrings(info?.env ?? []);
  // BuildKit adds the Linux default PATH when the base config has none (formats.md 1.12).
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  return { env, args: [], workdir: info?.workingDir || '/' };
}

export function cloneState(s: StageState): StageState {
  return { env: s.env.clone(), args: s.args.map((a) => ({ ...a })), workdir: s.workdir };
}

/** Records an ARG declaration (value as resolved) for `Step.args`. */
export function declareArg(s: StageState, name: string, value: string | undefined): void {
  const existing = s.args.find((a) => a.name === name);
  if (existing) {
    if (value !== undefined) existing.value = value;
  } else {
    s.args.push(value === undefined ? { name } : { name, value });
  }
}

/**
 * ARGs in scope with their current values: the env value when there is one (an ENV after the
 * ARG wins, as in BuildKit's RUN history), else the declared value; unset ARGs are left out.
 */
export function argsInScope(s: StageState): [string, string][] {
  const out: [string, string][] = [];
  for (const a of s.args) {
    const v = s.env.get(a.name) ?? a.value;
    if (v !== undefined) out.push([a.name, v]);
  }
  return out;
}
