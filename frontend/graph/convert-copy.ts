/**
 * COPY/ADD after expansion: sources, destination, `--chown`, `--chmod` (validated after
 * expansion) and ADD `--checksum` expanded with the stage env; heredoc bodies expanded only
 * for unquoted delimiters, with `\` as escape and quotes kept (BuildKit's raw lexer).
 * `--from` and `--exclude` are never expanded.
 */
import { InstructionError, type ParsedInstruction, validateChmod } from '../instructions/index.js';
import { processWord } from '../shell/index.js';
import type { StageCommand } from './stage-table.js';
import type { Instruction } from './types.js';

type CopyLike = Extract<ParsedInstruction, { kind: 'copy' | 'add' }>;

const isUrl = (s: string) => /^https?:\/\//.test(s);
const isGit = (s: string) => /^(git@|git:\/\/|ssh:\/\/)/.test(s) || /^https?:\/\/.*\.git(#.*)?$/.test(s);

export function convertCopy(
  p: CopyLike,
  cmd: StageCommand,
  expand: (word: string) => string,
  env: ReadonlyMap<string, string>,
): Extract<Instruction, { kind: 'copy' | 'add' }> {
  const sources = p.sources.map(expand);
  const out: Extract<Instruction, { kind: 'copy' | 'add' }> = {
    kind: p.kind,
    sources,
    heredocs: p.heredocs.map((h) => ({
      name: h.name,
      content: h.expand
        ? processWord(h.content, env, { escapeToken: '\\', skipProcessQuotes: true }).result
        : h.content,
    })),
    dest: expand(p.dest),
    link: p.link,
    parents: p.parents,
    exclude: p.exclude,
  };
  if (cmd.copyFrom) out.from = cmd.copyFrom;
  if (p.chown !== undefined) out.chown = expand(p.chown);
  if (p.chmod !== undefined) {
    out.chmod = expand(p.chmod);
    if (out.chmod !== '') validateChmod(out.chmod);
  }
  if (p.kind === 'copy' && cmd.copyFrom === undefined && sources.some(isUrl)) {
    throw new InstructionError("source can't be a URL for COPY");
  }
  if (p.kind === 'add') {
    if (p.checksum !== undefined) {
      out.checksum = expand(p.checksum);
      if (sources.length !== 1)
        throw new InstructionError("checksum can't be specified for multiple sources");
      if (!isUrl(sources[0]) && !isGit(sources[0])) {
        throw new InstructionError('checksum requires HTTP(S) or Git sources');
      }
    }
    if (p.keepGitDir !== undefined) out.keepGitDir = p.keepGitDir;
    if (p.unpack !== undefined) out.unpack = p.unpack;
  }
  return out;
}
