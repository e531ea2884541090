/**
 * BuildKit's per-instruction checks: JSONArgsRecommended, MaintainerDeprecated,
 * WorkdirRelativePath, MultipleInstructionsDisallowed, LegacyKeyValueFormat.
 */
import type { Node } from '../parser/ast.js';
import type { LintLayout } from './lint-stages.js';
import { keywordAsWritten } from './lint-stages.js';
import type { Finding } from './lint-warning.js';

/** Shell words with nothing a shell would interpret: safe to turn into a JSON array as is. */
const PLAIN_WORDS = /^[\w./:=@%+,-]+(?:\s+[\w./:=@%+,-]+)*$/;

/** The exec form to suggest for a shell-form command. */
export function execFormFor(shellText: string): string {
  const t = shellText.trim();
  if (PLAIN_WORDS.test(t)) return JSON.stringify(t.split(/\s+/)).replace(/","/g, '", "');
  return JSON.stringify(['/bin/sh', '-c', t]).replace(/","/g, '", "');
}

export function instructionRules(layout: LintLayout): Finding[] {
  const out: Finding[] = [];
  // Which stages (by name and index) end with an absolute WORKDIR, for stages built on them.
  const absWorkdir = new Map<string, boolean>();
  layout.stages.forEach((stage, i) => {
    const counts = new Map<string, Node[]>();
    const baseKey = stage.base.toLowerCase();
    let workdirAbs = absWorkdir.get(baseKey) ?? false;
    let shellSet = false;
    for (const n of stage.nodes) {
      const kw = n.keyword;
      if (kw === 'shell') shellSet = true;
      if (kw === 'cmd' || kw === 'entrypoint' || kw === 'healthcheck') {
        const list = counts.get(kw) ?? [];
        list.push(n);
        counts.set(kw, list);
      }
      // A SHELL instruction says the shell form is deliberate (BuildKit skips the rule then).
      const typographic = (kw === 'cmd' || kw === 'entrypoint') && !n.json ? typographicJson(n) : undefined;
      if (typographic !== undefined) {
        // Not a shell command someone meant: a JSON array pasted with curly quotes, which
        // Docker then runs as `/bin/sh -c '[“node”, ...]'` and fails at start.
        out.push({
          code: 'JSONArgsRecommended',
          message: `${kw.toUpperCase()} looks like a JSON array but uses typographic quotes (“ ” or ‘ ’), so it is not JSON: it would run as a shell command and fail`,
          fix: `${keywordAsWritten(n)} ${typographic} (straight quotes)`,
          range: n.range,
        });
      } else if ((kw === 'cmd' || kw === 'entrypoint') && !n.json && !shellSet && n.args.length > 0) {
        const word = kw.toUpperCase();
        out.push({
          code: 'JSONArgsRecommended',
          message: `JSON arguments recommended for ${word} to prevent unintended behavior related to OS signals`,
          fix: `${keywordAsWritten(n)} ${execFormFor(n.args.join(' '))}`,
          range: n.range,
        });
      }
      if (kw === 'maintainer') {
        const who = n.args.join(' ');
        out.push({
          code: 'MaintainerDeprecated',
          message: 'Maintainer instruction is deprecated in favor of using label',
          fix: `LABEL org.opencontainers.image.authors=${JSON.stringify(who)}`,
          range: n.range,
        });
      }
      if (kw === 'workdir') {
        const path = n.args.join(' ');
        // `$VAR` paths are only known after expansion; leave them alone rather than guess.
        if (path.startsWith('/') || path.startsWith('$')) workdirAbs = workdirAbs || path.startsWith('/');
        else if (!workdirAbs) {
          out.push({
            code: 'WorkdirRelativePath',
            message: `Relative workdir '${path}' can have unexpected results if the base image changes`,
            fix: `WORKDIR /${path.replace(/^\.\//, '')} (an absolute path)`,
            range: n.range,
          });
        }
      }
      if ((kw === 'env' || kw === 'label') && legacyKeyValue(n)) {
        const word = keywordAsWritten(n);
        const [k, ...rest] = n.original.replace(/^\s*\S+\s+/, '').split(/\s+/);
        out.push({
          code: 'LegacyKeyValueFormat',
          message: `"${kw.toUpperCase()} key=value" should be used instead of legacy "${kw.toUpperCase()} key value" format`,
          fix: `${word} ${k}=${JSON.stringify(rest.join(' '))}`,
          range: n.range,
        });
      }
    }
    for (const [kw, list] of counts) {
      // Only the last one takes effect; point at each one that is overridden.
      for (const n of list.slice(0, -1)) {
        const word = kw.toUpperCase();
        out.push({
          code: 'MultipleInstructionsDisallowed',
          message: `Multiple ${word} instructions should not be used in the same stage because only the last one will be used`,
          fix: `remove this ${word} (line ${n.range.start.line}); the one on line ${list[list.length - 1].range.start.line} wins`,
          range: n.range,
        });
      }
    }
    absWorkdir.set(String(i), workdirAbs);
    if (stage.name) absWorkdir.set(stage.name.toLowerCase(), workdirAbs);
  });
  return out;
}

/** `ENV key value` (no `=` in the first word): the legacy one-pair form. */
function legacyKeyValue(n: Node): boolean {
  const rest = n.original.replace(/^\s*\S+\s+/, '');
  const first = rest.split(/\s+/)[0] ?? '';
  return first !== '' && !first.includes('=');
}

/** Curly double and single quotes (and the low-9 and prime forms word processors produce). */
const TYPOGRAPHIC = /[\u2018\u2019\u201A\u201B\u201C\u201D\u201E\u201F\u2032\u2033]/;

/**
 * The JSON array a shell-form CMD/ENTRYPOINT meant when it is one written with typographic
 * quotes (`[“node”, “index.js”]`), with straight quotes; undefined for anything else.
 */
export function typographicJson(n: Node): string | undefined {
  const text = n.original.replace(/^\s*\S+\s+/, '').trim();
  if (!text.startsWith('[') || !text.endsWith(']') || !TYPOGRAPHIC.test(text)) return undefined;
  const straight = text
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, '"');
  try {
    const arr = JSON.parse(straight) as unknown;
    if (Array.isArray(arr) && arr.every((x) => typeof x === 'string'))
      return JSON.stringify(arr).replace(/","/g, '", "');
  } catch {
    // Not an array even with straight quotes: the ordinary advice applies.
  }
  return undefined;
}
