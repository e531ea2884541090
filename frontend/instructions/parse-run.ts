/**
 * RUN: flags (`--mount` repeatable, `--network`, `--security`, `--device`), the command in
 * shell or exec form, and heredocs handled as BuildKit's dispatchRun does:
 * - `RUN <<EOF` alone: the body is the script; with a `#!` first line it becomes a file run
 *   as `/dev/pipes/<name>` (core mounts `files` there, mode 0755, read-only), otherwise the
 *   body itself is the shell text;
 * - any other heredoc use: the line, each body and its delimiter are rejoined into one
 *   shell text and the shell does the heredoc.
 * Heredoc bodies of RUN are never variable-expanded.
 */

import type { Command, HeredocFile } from '../graph/types.js';
import type { Node } from '../parser/ast.js';
import { EMPTY_LIST } from '../parser/empty-list.js';
import { chompHeredocContent } from '../parser/heredocs.js';
import { type FlagSpec, parseFlags } from './flags.js';
import { heredocWord } from './heredoc-word.js';
import { InstructionError } from './instruction-error.js';
import { parseMount } from './run-mount.js';
import type { MountSpec, ParsedInstruction } from './types.js';

const RUN_FLAGS: FlagSpec = { mount: 'strings', network: 'string', security: 'string', device: 'strings' };

export function parseRun(node: Node): Extract<ParsedInstruction, { kind: 'run' }> {
  // The common RUN: no flags, shell form, no heredocs. Answered without flag lookups or
  // runCommand's result object (the typed instructions of every stage are built each time).
  if (node.flags.length === 0 && !node.json && node.heredocs.length === 0) {
    return {
      kind: 'run',
      command: { form: 'shell', text: node.args.join(' ') },
      mounts: EMPTY_LIST,
      network: 'default',
      security: 'sandbox',
      devices: EMPTY_LIST,
      files: EMPTY_LIST,
    };
  }
  const flags = parseFlags(node.flags, RUN_FLAGS);
  const network = flags.strings.get('network') ?? 'default';
  if (network !== 'default' && network !== 'none' && network !== 'host') {
    throw new InstructionError(`invalid network mode "${network}"`);
  }
  const security = flags.strings.get('security') ?? 'sandbox';
  if (security !== 'sandbox' && security !== 'insecure') {
    throw new InstructionError(`security "${security}" is not valid`);
  }
  // Empty lists (the common case) are the shared frozen one: every RUN of a file keeps these.
  const mountFlags = flags.lists.get('mount');
  const mounts: MountSpec[] =
    mountFlags === undefined
      ? EMPTY_LIST
      : mountFlags.map((csv) => {
          const m = parseMount(csv, null);
          return m.from === undefined ? { csv } : { csv, from: m.from };
        });
  const { command, files } = runCommand(node);
  return {
    kind: 'run',
    command,
    mounts,
    network,
    security,
    devices: flags.lists.get('device') ?? EMPTY_LIST,
    files,
  };
}

/** Shell/exec form plus heredoc handling; shared by RUN only (CMD/ENTRYPOINT take no heredocs). */
function runCommand(node: Node): { command: Command; files: HeredocFile[] } {
  if (node.json) return { command: { form: 'exec', args: [...node.args] }, files: EMPTY_LIST };
  const text = node.args.join(' ');
  if (node.heredocs.length === 0) return { command: { form: 'shell', text }, files: EMPTY_LIST };
  if (node.args.length !== 1) {
    throw new InstructionError(`parsing produced an invalid run command: [${node.args.join(' ')}]`);
  }
  const word = heredocWord(text);
  if (word) {
    const doc = node.heredocs[0];
    const data = doc.chomp ? chompHeredocContent(doc.content) : doc.content;
    if (data.startsWith('#!')) {
      return {
        command: { form: 'shell', text: `/dev/pipes/${doc.name}` },
        files: [{ name: doc.name, content: data }],
      };
    }
    return { command: { form: 'shell', text: data }, files: EMPTY_LIST };
  }
  let joined = text;
  for (const doc of node.heredocs) joined += `\n${doc.content}${doc.name}`;
  return { command: { form: 'shell', text: joined }, files: EMPTY_LIST };
}
