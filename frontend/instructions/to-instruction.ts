/**
 * `toInstruction(node)`: one AST node to one typed instruction, the counterpart of BuildKit's
 * `instructions.ParseInstruction`. Errors name the problem in BuildKit's words and carry the
 * node's location (see `withLocation`).
 */

import { withLocation } from '../errors.js';
import type { Command } from '../graph/types.js';
import type { Node } from '../parser/ast.js';
import { withSuggestion } from '../suggest.js';
import { parseFlags } from './flags.js';
import {
  errAtLeastOneArgument,
  errBlankCommandNames,
  errExactlyOneArgument,
  errNotJSON,
  InstructionError,
} from './instruction-error.js';
import { parseCopyOrAdd } from './parse-copy.js';
import { parseHealthcheck } from './parse-healthcheck.js';
import { parseRun } from './parse-run.js';
import type { ParsedInstruction } from './types.js';

/** Where a node came from, so errors can show `FILE:LINE:COL` and the source line. */
export interface SourceInfo {
  file: string;
  lines: string[];
}

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/**
 * Types one node. @throws DockerfileError located at `node.range`.
 */
export function toInstruction(node: Node, source: SourceInfo): ParsedInstruction {
  try {
    return parseNode(node);
  } catch (err) {
    throw withLocation(err, node.range, source);
  }
}

/** Only validates (no flag is accepted); most nodes have none, so skip building the result. */
function noFlags(node: Node): void {
  if (node.flags.length > 0) parseFlags(node.flags, {});
}

/**
 * Dispatch only, most frequent keywords first. Every case body lives in its own function:
 * V8 optimises a function once enough of its own bytecode has run, and with all the bodies
 * inline this switch stayed unoptimised for most of a first 5,000-line build graph.
 */
function parseNode(node: Node): ParsedInstruction {
  const keyword = lowerKeyword(node.keyword);
  switch (keyword) {
    case 'run':
      return parseRun(node);
    case 'env':
      return parseKeyValue(node, 'env');
    case 'label':
      return parseKeyValue(node, 'label');
    case 'copy':
      return parseCopyOrAdd(node, 'copy');
    case 'from':
      return parseFrom(node);
    case 'arg':
      return parseArg(node);
    case 'workdir':
    case 'user':
    case 'stopsignal':
      return parseOneArg(node, keyword);
    case 'add':
      return parseCopyOrAdd(node, 'add');
    case 'cmd':
    case 'entrypoint':
      noFlags(node);
      return { kind: keyword, command: shellOrExec(node) };
    case 'expose':
      return parseExpose(node);
    case 'volume':
      return parseVolume(node);
    case 'maintainer':
      return parseMaintainer(node);
    case 'healthcheck':
      return parseHealthcheck(node);
    case 'shell':
      return parseShell(node);
    case 'onbuild':
      return parseOnbuild(node);
    default: {
      // The suggestion answers in the case the keyword was written in (BuildKit's matchCase):
      // FNTRYPOINT gets ENTRYPOINT, fntrypoint gets entrypoint.
      const written = node.original.trimStart().split(/\s/, 1)[0] || node.keyword;
      throw new InstructionError(
        withSuggestion(`unknown instruction: ${node.keyword.toUpperCase()}`, written, INSTRUCTIONS, false),
      );
    }
  }
}

/** Every instruction name, for "did you mean" on an unknown one. */
const INSTRUCTIONS: readonly string[] = [
  'add',
  'arg',
  'cmd',
  'copy',
  'entrypoint',
  'env',
  'expose',
  'from',
  'healthcheck',
  'label',
  'maintainer',
  'onbuild',
  'run',
  'shell',
  'stopsignal',
  'user',
  'volume',
  'workdir',
];

function parseKeyValue(node: Node, kind: 'env' | 'label'): ParsedInstruction {
  noFlags(node);
  return { kind, pairs: keyValuePairs(node.args, kind === 'env' ? 'ENV' : 'LABEL') };
}

function parseOneArg(node: Node, kind: 'user' | 'workdir' | 'stopsignal'): ParsedInstruction {
  if (node.args.length !== 1) throw errExactlyOneArgument(kind.toUpperCase());
  if (kind !== 'stopsignal') noFlags(node);
  if (kind === 'user') return { kind, user: node.args[0] };
  if (kind === 'workdir') return { kind, path: node.args[0] };
  return { kind, signal: node.args[0] };
}

function parseMaintainer(node: Node): ParsedInstruction {
  if (node.args.length !== 1) throw errExactlyOneArgument('MAINTAINER');
  noFlags(node);
  return { kind: 'maintainer', name: node.args[0] };
}

function parseExpose(node: Node): ParsedInstruction {
  if (node.args.length === 0) throw errAtLeastOneArgument('EXPOSE');
  noFlags(node);
  return { kind: 'expose', ports: [...node.args].sort() };
}

function parseVolume(node: Node): ParsedInstruction {
  if (node.args.length === 0) throw errAtLeastOneArgument('VOLUME');
  noFlags(node);
  const paths = node.args.map((v) => v.trim());
  if (paths.includes('')) throw new InstructionError('VOLUME specified can not be an empty string');
  return { kind: 'volume', paths };
}

function parseShell(node: Node): ParsedInstruction {
  noFlags(node);
  if (node.args.length === 0) throw errAtLeastOneArgument('SHELL');
  if (!node.json) throw errNotJSON('SHELL');
  return { kind: 'shell', shell: [...node.args] };
}

/** The parser already lower-cases keywords; only a hand-built node needs the copy. */
function lowerKeyword(keyword: string): string {
  for (let i = 0; i < keyword.length; i++) {
    const c = keyword.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c > 0x7f) return keyword.toLowerCase();
  }
  return keyword;
}

function parseFrom(node: Node): ParsedInstruction {
  const args = node.args;
  let stageName: string | undefined;
  if (args.length === 3 && args[1].toLowerCase() === 'as') {
    stageName = args[2].toLowerCase();
    if (!STAGE_NAME.test(stageName)) {
      throw new InstructionError(
        `invalid name for build stage: "${args[2]}", name can't start with a number or contain symbols`,
      );
    }
  } else if (args.length !== 1) {
    throw new InstructionError('FROM requires either one or three arguments');
  }
  const flags = parseFlags(node.flags, { platform: 'string' });
  const out: ParsedInstruction = { kind: 'from', image: args[0] };
  if (stageName !== undefined) out.stageName = stageName;
  const platform = flags.strings.get('platform');
  if (platform) out.platform = platform;
  return out;
}

/** ENV/LABEL node args come in (key, value, delimiter) triples from the parser. */
function keyValuePairs(args: string[], command: string): [string, string][] {
  if (args.length === 0) throw errAtLeastOneArgument(command);
  if (args.length % 3 !== 0) throw new InstructionError(`Bad input to ${command}, too many arguments`);
  // Sized up front: push would grow a 17-slot store that every ENV/LABEL then keeps.
  const pairs: [string, string][] = new Array(args.length / 3);
  for (let i = 0; i < args.length; i += 3) {
    if (args[i] === '') throw errBlankCommandNames(command);
    pairs[i / 3] = [args[i], args[i + 1]];
  }
  return pairs;
}

function parseArg(node: Node): ParsedInstruction {
  if (node.args.length === 0) throw errAtLeastOneArgument('ARG');
  if (node.flags.length > 0) parseFlags(node.flags, {});
  const args = node.args.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) return { name: word };
    if (eq === 0) throw errBlankCommandNames('ARG');
    return { name: word.slice(0, eq), value: word.slice(eq + 1) };
  });
  return { kind: 'arg', args };
}

function shellOrExec(node: Node): Command {
  return node.json ? { form: 'exec', args: [...node.args] } : { form: 'shell', text: node.args.join(' ') };
}

function parseOnbuild(node: Node): ParsedInstruction {
  const next = node.next;
  if (next === undefined || next.keyword === '') throw errAtLeastOneArgument('ONBUILD');
  parseFlags(node.flags, {});
  const trigger = next.keyword.toUpperCase();
  if (trigger === 'ONBUILD')
    throw new InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger === 'MAINTAINER' || trigger === 'FROM') {
    throw new InstructionError(`${trigger} isn't allowed as an ONBUILD trigger`);
  }
  let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
  const docs = node.heredocs.length > 0 ? node.heredocs : next.heredocs;
  for (const doc of docs) expression += `\n${doc.content}${doc.name}`;
  return { kind: 'onbuild', trigger: expression };
}
