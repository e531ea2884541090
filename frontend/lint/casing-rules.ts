/**
 * BuildKit's naming and casing checks: StageNameCasing, FromAsCasing, DuplicateStageName,
 * ReservedStageName and ConsistentInstructionCasing. Messages follow BuildKit's wording so
 * people searching for them land on Docker's rule pages.
 */
import type { Node } from '../parser/ast.js';
import type { LintLayout } from './lint-stages.js';
import { keywordAsWritten } from './lint-stages.js';
import type { Finding } from './lint-warning.js';

const RESERVED = new Set(['scratch', 'context']);

export function stageNameRules(layout: LintLayout): Finding[] {
  const out: Finding[] = [];
  const seen = new Map<string, number>();
  for (const s of layout.stages) {
    const range = s.from.range;
    const fromWord = keywordAsWritten(s.from);
    if (s.asWord !== undefined) {
      const fromUpper = fromWord === fromWord.toUpperCase();
      const asOk = fromUpper ? s.asWord === s.asWord.toUpperCase() : s.asWord === s.asWord.toLowerCase();
      if (!asOk) {
        out.push({
          code: 'FromAsCasing',
          message: `'${s.asWord}' and '${fromWord}' keywords' casing do not match`,
          fix: `write '${fromUpper ? 'AS' : 'as'}' to match '${fromWord}'`,
          range,
        });
      }
    }
    if (s.name === undefined) continue;
    if (s.name !== s.name.toLowerCase()) {
      out.push({
        code: 'StageNameCasing',
        message: `Stage name '${s.name}' should be lowercase`,
        fix: `name the stage '${s.name.toLowerCase()}' (and update COPY --from / FROM references)`,
        range,
      });
    }
    const lower = s.name.toLowerCase();
    if (RESERVED.has(lower)) {
      out.push({
        code: 'ReservedStageName',
        message: `'${lower}' is reserved and should not be used as a stage name`,
        fix: `pick another stage name than '${lower}'`,
        range,
      });
    }
    const first = seen.get(lower);
    if (first !== undefined) {
      out.push({
        code: 'DuplicateStageName',
        message: `Duplicate stage name '${lower}', stage names should be unique`,
        fix: `rename one of the stages (the first '${lower}' is on line ${first})`,
        range,
      });
    } else seen.set(lower, range.start.line);
  }
  return out;
}

type Casing = 'upper' | 'lower' | 'mixed';

function casingOf(word: string): Casing {
  if (word === word.toUpperCase()) return 'upper';
  if (word === word.toLowerCase()) return 'lower';
  return 'mixed';
}

/** Every instruction keyword (ONBUILD triggers included) in the majority casing. */
export function instructionCasingRule(nodes: readonly Node[]): Finding[] {
  const all: Node[] = [];
  for (const n of nodes) {
    all.push(n);
    if (n.next) all.push(n.next);
  }
  // An ONBUILD trigger node's `original` is the trigger text alone, so its first word counts too.
  const words = all.map((n) => ({ n, word: keywordAsWritten(n) }));
  let upper = 0;
  let lower = 0;
  for (const { word } of words) {
    const c = casingOf(word);
    if (c === 'upper') upper++;
    else if (c === 'lower') lower++;
  }
  const majority: Casing = lower > upper ? 'lower' : 'upper';
  const out: Finding[] = [];
  for (const { n, word } of words) {
    const c = casingOf(word);
    if (c === majority) continue;
    const want = majority === 'upper' ? word.toUpperCase() : word.toLowerCase();
    out.push({
      code: 'ConsistentInstructionCasing',
      message:
        c === 'mixed'
          ? `Command '${word}' should be consistently cased`
          : `Command '${word}' should match the case of the command majority (${majority}case)`,
      fix: `write '${want}'`,
      range: n.range,
    });
  }
  return out;
}
