/**
 * `strata lint [-f FILE] [--target T] [--build-arg K=V]... [--json] [CONTEXT]`: advice about
 * a Dockerfile, one line each: `FILE:LINE: CODE: message (fix: ...)`. Exit 0 when there are
 * only warnings; 1 when `# check=error=true` made them errors (as a build would fail).
 */
import { InvalidInputError } from '../core/oci/errors.js';
import type { BuildGraph } from '../frontend/index.js';
import { parse, toGraph } from '../frontend/index.js';
import { formatLintWarning, lint } from '../frontend/lint/index.js';
import { parseBuildArgs, parseFlags } from './common.js';
import type { Io } from './io.js';
import { readDockerfile } from './read-dockerfile.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('lint', args, {
    file: { type: 'string', short: 'f' },
    target: { type: 'string' },
    'build-arg': { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  if (positionals.length > 1) throw new InvalidInputError('lint: expected at most one CONTEXT');
  const { text, file } = await readDockerfile(values.file, positionals[0] ?? '.', io);
  const parsed = parse(text, { file });
  let graph: BuildGraph | undefined;
  try {
    graph = toGraph(parsed, {
      file,
      target: values.target,
      buildArgs: parseBuildArgs(values['build-arg'], io.env),
    });
  } catch {
    // A Dockerfile the graph cannot take still gets the AST-only advice; `strata parse` or the
    // build reports the conversion error itself.
    graph = undefined;
  }
  const warnings = lint(parsed, graph);
  if (values.json) io.stdout.write(`${JSON.stringify(warnings, null, 2)}\n`);
  else for (const w of warnings) io.stdout.write(`${formatLintWarning(file, w)}\n`);
  const errors = warnings.filter((w) => w.level === 'error').length;
  if (!values.json) {
    io.stderr.write(
      warnings.length === 0
        ? `${file}: no warnings\n`
        : `${file}: ${warnings.length} ${errors > 0 ? 'errors (check=error=true)' : 'warnings'}\n`,
    );
  }
  return errors > 0 ? 1 : 0;
}
