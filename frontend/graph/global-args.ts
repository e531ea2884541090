/**
 * Global ("meta") args: the predefined platform args, then each ARG before the first FROM in
 * order, a build-arg overriding its default and defaults expanded against the global args
 * declared before them. Visible only to FROM lines and to in-stage `ARG NAME` imports.
 */
import { withLocation } from '../errors.js';
import type { SourceInfo } from '../instructions/index.js';
import { expandWord } from '../shell/index.js';
import { EnvList } from './env-list.js';
import { platformArgs } from './platform-args.js';
import type { StageTable } from './stage-table.js';
import type { GraphOptions } from './types.js';

export interface GlobalArgs {
  env: EnvList;
  /** Names declared by global ARG lines (for unused build-arg reporting). */
  declared: Set<string>;
}

export function buildGlobalArgs(
  table: StageTable,
  opts: GraphOptions,
  escapeToken: string,
  source: SourceInfo,
): GlobalArgs {
  const last = table.stages[table.stages.length - 1];
  const targetStage = opts.target ?? last.name ?? 'default';
  const env = new EnvList(platformArgs(opts, targetStage === '' ? 'default' : targetStage));
  const buildArgs = opts.buildArgs ?? {};
  const declared = new Set<string>();
  for (const { node, parsed } of table.metaArgs) {
    for (const arg of parsed.args) {
      declared.add(arg.name);
      let value: string | undefined;
      if (Object.hasOwn(buildArgs, arg.name)) value = buildArgs[arg.name];
      else if (arg.value !== undefined) {
        try {
          value = expandWord(arg.value, env.view(), { escapeToken });
        } catch (err) {
          throw withLocation(err, node.range, source);
        }
      }
      if (value !== undefined) env.set(arg.name, value);
    }
  }
  return { env, declared };
}
