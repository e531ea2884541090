/**
 * The AST cut into stages for the lint rules: every FROM starts one; nodes before the
 * first FROM are the global scope (ARGs for FROM lines).
 */
import type { Node } from '../parser/ast.js';

export interface LintStage {
  from: Node;
  /** The FROM image word as written (may hold `$VAR`). */
  base: string;
  /** The `AS` word as written (`as`, `AS`), when present. */
  asWord?: string;
  /** The stage name as written, when present. */
  name?: string;
  /** Instructions after FROM, up to the next FROM. */
  nodes: Node[];
}

export interface LintLayout {
  global: Node[];
  stages: LintStage[];
}

export function lintStages(nodes: readonly Node[]): LintLayout {
  const out: LintLayout = { global: [], stages: [] };
  for (const n of nodes) {
    if (n.keyword === 'from') {
      const [base = '', asWord, name] = n.args;
      const hasAs = asWord !== undefined && asWord.toLowerCase() === 'as' && name !== undefined;
      out.stages.push({
        from: n,
        base,
        asWord: hasAs ? asWord : undefined,
        name: hasAs ? name : undefined,
        nodes: [],
      });
    } else if (out.stages.length === 0) out.global.push(n);
    else out.stages[out.stages.length - 1].nodes.push(n);
  }
  return out;
}

/** The instruction keyword exactly as written (`Run`, `COPY`). */
export function keywordAsWritten(n: Node): string {
  const m = /^\s*(\S+)/.exec(n.original);
  return m ? m[1] : n.keyword;
}
