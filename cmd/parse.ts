/**
 * `strata parse [-f FILE] [--target T] [--build-arg K[=V]]... [--platform P]
 * [--format tree|json] [CONTEXT]`: prints the build graph of a Dockerfile without building
 * anything: the stages the target needs, each step with its values expanded, dependencies,
 * and the source line of each step. `--format json` prints the BuildGraph itself.
 * Base images are not looked up, so their ENV and ONBUILD are not applied here.
 */
import { InvalidInputError } from '../core/oci/errors.js';
import { hostPlatform } from '../core/oci/platform.js';
import { parse, toGraph } from '../frontend/index.js';
import { parseBuildArgs, parseFlags } from './common.js';
import { formatGraphTree } from './format-graph-tree.js';
import type { Io } from './io.js';
import { readDockerfile } from './read-dockerfile.js';

const SPEC = {
  file: { type: 'string', short: 'f' },
  target: { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  platform: { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const USAGE = `usage: strata parse [-f FILE] [--target STAGE] [--build-arg NAME[=VALUE]]... [--platform OS/ARCH] [--format tree|json] [CONTEXT]
`;

export async function run(args: string[], io: Io): Promise<number> {
  const { values: flags, positionals } = parseFlags('parse', args, SPEC);
  if (flags.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length > 1)
    throw new InvalidInputError(`parse: expected at most one CONTEXT, got ${positionals.length}`);
  const format = flags.format ?? 'tree';
  if (format !== 'tree' && format !== 'json') {
    throw new InvalidInputError(`parse: --format must be tree or json, not ${JSON.stringify(format)}`);
  }
  const context = positionals[0] ?? '.';
  const { text, file } = await readDockerfile(flags.file, context, io);
  const parsed = parse(text, { file });
  const graph = toGraph(parsed, {
    file,
    target: flags.target,
    buildArgs: parseBuildArgs(flags['build-arg'], io.env),
    targetPlatform: flags.platform,
    buildPlatform: hostPlatform(),
  });
  io.stdout.write(
    format === 'json' ? `${JSON.stringify(graph, null, 2)}\n` : formatGraphTree(graph, parsed.lines),
  );
  return 0;
}
