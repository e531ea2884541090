/**
 * The shape of one piece of advice about a Dockerfile. Plain data: `strata lint` prints it as
 * `FILE:LINE: CODE: message (fix: ...)`, and the build prints it before planning.
 */
import type { SourceRange } from '../parser/ast.js';

export interface LintWarning {
  /** Stable rule name: BuildKit's where BuildKit has the rule (`JSONArgsRecommended`), else strata's own. */
  code: string;
  /** What is wrong, naming the offending text. */
  message: string;
  /** What to write instead, concrete enough to paste where possible. */
  fix: string;
  /** The instruction (or the part of it) the warning is about. */
  range: SourceRange;
  /** `error` when the Dockerfile's `# check=error=true` directive turns warnings into errors. */
  level: 'warning' | 'error';
}

/** A rule's finding before the `# check=` directive decides skip and level. */
export type Finding = Omit<LintWarning, 'level'>;
