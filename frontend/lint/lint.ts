/**
 * lint(): advice about a Dockerfile, from its AST (and the build graph when the caller has
 * one). Pure: text in, data out. Rules are BuildKit's common checks (same codes, same
 * wording) plus strata's cache advice; the Dockerfile's `# check=skip=...;error=true`
 * directive drops rules and raises the level, as BuildKit honours it.
 */
import type { BuildGraph } from '../graph/types.js';
import type { ParseResult } from '../parser/ast.js';
import { cacheRules } from './cache-rules.js';
import { instructionCasingRule, stageNameRules } from './casing-rules.js';
import { parseCheckDirective, ruleEnabled } from './check-directive.js';
import { instructionRules } from './instruction-rules.js';
import { lintStages } from './lint-stages.js';
import type { Finding, LintWarning } from './lint-warning.js';
import { undefinedVarRule } from './undefined-var.js';

/** The parser's own warning codes, under the names BuildKit's checks use for them. */
const PARSER_CODES: Record<string, { code: string; fix: string }> = {
  EmptyContinuation: {
    code: 'NoEmptyContinuation',
    fix: 'delete the empty line inside the continued instruction (or end it with a comment line)',
  },
};

/**
 * Every warning, sorted by line then code. `graph`, when given, settles which base each
 * stage really has after ARG expansion (for UndefinedVar); without it the FROM text decides.
 */
export function lint(parsed: ParseResult, graph?: BuildGraph): LintWarning[] {
  const cfg = parseCheckDirective(parsed.directives.check);
  const layout = lintStages(parsed.nodes);
  const findings: Finding[] = [
    ...parsed.warnings.flatMap((w): Finding[] => {
      const mapped = PARSER_CODES[w.code];
      if (!mapped || !w.range) return [];
      return [{ code: mapped.code, message: w.message, fix: mapped.fix, range: w.range }];
    }),
    ...stageNameRules(layout),
    ...instructionCasingRule(parsed.nodes),
    ...instructionRules(layout),
    ...undefinedVarRule(layout, parsed.directives.escape, graph),
    ...cacheRules(layout),
  ];
  const level = cfg.error ? 'error' : 'warning';
  return findings
    .filter((f) => ruleEnabled(cfg, f.code))
    .map((f) => ({ ...f, level }) as LintWarning)
    .sort((a, b) => a.range.start.line - b.range.start.line || a.code.localeCompare(b.code));
}

/** `FILE:LINE: CODE: message (fix: ...)`, the line `strata lint` and the build print. */
export function formatLintWarning(file: string, w: LintWarning): string {
  return `${file}:${w.range.start.line}: ${w.code}: ${w.message} (fix: ${w.fix})`;
}
