/**
 * COPY and ADD: per-instruction flags, sources and destination, heredoc sources turned into
 * inline files (tab-chomped for `<<-`; expansion happens later, only for unquoted
 * delimiters). A heredoc as the destination is an error.
 */
import type { Node } from '../parser/ast.js';
import { EMPTY_LIST } from '../parser/empty-list.js';
import { chompHeredocContent } from '../parser/heredocs.js';
import { validateChmod } from './chmod.js';
import { parseFlags } from './flags.js';
import { heredocWord } from './heredoc-word.js';
import { errBadHeredoc, errNoDestinationArgument } from './instruction-error.js';
import type { HeredocSource, ParsedInstruction } from './types.js';

type CopyLike = Extract<ParsedInstruction, { kind: 'copy' | 'add' }>;

export function parseCopyOrAdd(node: Node, kind: 'copy' | 'add'): CopyLike {
  const name = kind.toUpperCase();
  if (node.args.length < 2) throw errNoDestinationArgument(name);
  const flags = parseFlags(
    node.flags,
    kind === 'copy'
      ? {
          chown: 'string',
          from: 'string',
          chmod: 'string',
          link: 'bool',
          exclude: 'strings',
          parents: 'bool',
        }
      : {
          chown: 'string',
          chmod: 'string',
          link: 'bool',
          'keep-git-dir': 'bool',
          checksum: 'string',
          unpack: 'bool',
          exclude: 'strings',
        },
  );
  const chmod = flags.strings.get('chmod');
  // Literal values are checked now; values with variables again after expansion.
  if (chmod && !chmod.includes('$')) validateChmod(chmod);

  const dest = node.args[node.args.length - 1];
  const sources: string[] = [];
  const heredocs: HeredocSource[] = [];
  if (!node.json) {
    if (heredocWord(dest)) throw errBadHeredoc(name, 'a destination');
  }
  const byName = new Map(node.heredocs.map((h) => [h.name, h]));
  let nth = 0;
  for (const src of node.args.slice(0, -1)) {
    const word = node.json ? undefined : heredocWord(src);
    if (word === undefined) {
      sources.push(src);
      continue;
    }
    // Look up by name as BuildKit does; fall back to position for odd quoting.
    const doc = byName.get(word.name) ?? node.heredocs[nth];
    nth++;
    const content = doc === undefined ? '' : doc.chomp ? chompHeredocContent(doc.content) : doc.content;
    heredocs.push({ name: doc?.name ?? word.name, content, expand: doc?.expand ?? word.expand });
  }

  const out: CopyLike = {
    kind,
    sources,
    heredocs,
    dest,
    link: flags.bools.get('link') ?? false,
    parents: flags.bools.get('parents') ?? false,
    exclude: flags.lists.get('exclude') ?? EMPTY_LIST,
  };
  const from = flags.strings.get('from');
  if (from) out.from = from;
  const chown = flags.strings.get('chown');
  if (chown) out.chown = chown;
  if (chmod) out.chmod = chmod;
  if (kind === 'add') {
    const checksum = flags.strings.get('checksum');
    if (checksum) out.checksum = checksum;
    // Only set when given: unset means "ADD's default" (unpack local archives, no .git).
    if (flags.bools.has('keep-git-dir')) out.keepGitDir = flags.bools.get('keep-git-dir');
    if (flags.bools.has('unpack')) out.unpack = flags.bools.get('unpack');
  }
  return out;
}
