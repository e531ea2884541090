/**
 * `strata graph [-f FILE] [--target T] [--build-arg K=V]... [--platform P] [--no-cache]
 * [--format dot|html] [-o OUT] [CONTEXT]`: the build as a picture, from a dry-run plan
 * (nothing runs): stages as clusters, steps coloured hit/miss/cascade/metadata, the reason on
 * hover. Default format: html when OUT ends in .html, else dot. Without -o it goes to stdout.
 */
import { resolve } from 'node:path';
import { replaceFileWith } from '../core/fs/exclusive-file.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { hostPlatform } from '../core/oci/platform.js';
import { planGraph, renderDot, renderHtml } from '../core/views/index.js';
import { onePlatform, openStore, parseBuildArgs, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('graph', args, {
    ...ROOT_OPTION,
    file: { type: 'string', short: 'f' },
    target: { type: 'string' },
    'build-arg': { type: 'string', multiple: true },
    platform: { type: 'string' },
    'no-cache': { type: 'boolean' },
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (positionals.length > 1) throw new InvalidInputError('graph: expected at most one CONTEXT');
  const out = values.output;
  const format = values.format ?? (out?.endsWith('.html') ? 'html' : 'dot');
  if (format !== 'dot' && format !== 'html') {
    throw new InvalidInputError(`graph: --format must be dot or html, not ${JSON.stringify(format)}`);
  }
  const store = await openStore(values.root, io);
  const model = await planGraph(store, {
    contextDir: resolve(io.cwd, positionals[0] ?? '.'),
    dockerfile: values.file === undefined ? undefined : resolve(io.cwd, values.file),
    tags: [],
    target: values.target,
    buildArgs: parseBuildArgs(values['build-arg'], io.env),
    noCache: values['no-cache'] ?? false,
    secrets: [],
    platform: onePlatform('graph', values.platform ?? hostPlatform()),
    env: io.env,
    progress: (e) => {
      if (e.type === 'warning') io.stderr.write(`warning: ${e.message}\n`);
    },
  });
  const text = format === 'html' ? renderHtml(model) : renderDot(model);
  if (out === undefined || out === '-') io.stdout.write(text);
  else {
    // A fresh temp file renamed over the target: never written through a planted symlink.
    await replaceFileWith(resolve(io.cwd, out), text);
    const s = model.summary;
    const pending = s.pending > 0 ? `, ${s.pending} decided after the stage they read runs` : '';
    io.stderr.write(
      `wrote ${out}: ${s.steps} steps (${s.hit} hit, ${s.miss} miss, ${s.cascade} cascade${pending})\n`,
    );
  }
  return 0;
}
