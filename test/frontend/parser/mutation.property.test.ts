/**
 * Property: however a real Dockerfile is mangled, parse() either succeeds with sane
 * ranges or throws a DockerfileError located inside the file. Nothing else escapes.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { DockerfileError } from '../../../frontend/errors.js';
import { dumpResult } from '../../../frontend/parser/dump.js';
import { parse } from '../../../frontend/parser/parse.js';
import { describeConformance } from '../../helpers/conformance.js';
import { listCases, readCase } from './conformance.js';

const seeds = (): string[] => [
  ...listCases('testfiles').map((c) => readCase('testfiles', c, 'Dockerfile')),
  ...listCases('testfiles-negative').map((c) => readCase('testfiles-negative', c, 'Dockerfile')),
  readCase('testfile-line', 'Dockerfile'),
  'FROM a\nRUN <<EOF\necho hi\nEOF\nCOPY <<-A 3<<"B" /x\n\ta\n\tA\nb\nB\n',
];

const fragments = [
  '\\',
  '`',
  '\\\n',
  '"',
  "'",
  '<<',
  '<<-',
  '<<EOF',
  '\nEOF\n',
  '3<<X',
  '--',
  '--flag=',
  '--a="b c"',
  '[',
  ']',
  '["a", 1]',
  '["x"]',
  '=',
  '#',
  '# escape=`\n',
  '# syntax=x\n',
  '\n',
  '\r\n',
  ' ',
  '\t',
  '${',
  '${x:-',
  '}',
  '$',
  'ONBUILD ',
  'ENV ',
  'HEALTHCHECK ',
  'RUN ',
  'COPY ',
  '\ufeff',
  '\u00a0',
  '\u0085',
  '😀',
  '\u2028',
  'é',
  '\0',
];

type Edit =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'replace'; at: number; len: number; text: string }
  | { kind: 'splice'; from: number; to: number };

const text = fc.oneof(
  fc.constantFrom(...fragments),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 3 }),
);
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 4 }),
    text,
  }),
  fc.record({ kind: fc.constant('splice' as const), from: fc.nat(), to: fc.nat() }),
);

function apply(src: string, e: Edit): string {
  if (e.kind === 'splice') {
    // Move one whole line elsewhere: reorders instructions, heredoc bodies, continuations.
    const lines = src.split('\n');
    const [line] = lines.splice(e.from % lines.length, 1);
    lines.splice(e.to % (lines.length + 1), 0, line);
    return lines.join('\n');
  }
  const at = e.at % (src.length + 1);
  if (e.kind === 'insert') return src.slice(0, at) + e.text + src.slice(at);
  if (e.kind === 'delete') return src.slice(0, at) + src.slice(at + e.len);
  return src.slice(0, at) + e.text + src.slice(at + e.len);
}

describeConformance('parse() under random mutation', () => {
  it('throws only DockerfileError, always located inside the file', () => {
    let failures = 0;
    let successes = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds()),
        fc.array(edit, { minLength: 1, maxLength: 8 }),
        (seed, edits) => {
          const src = edits.reduce(apply, seed);
          const lineCount = src.split('\n').length;
          let result: ReturnType<typeof parse>;
          try {
            result = parse(src, { file: 'fuzz/Dockerfile' });
          } catch (err) {
            if (!(err instanceof DockerfileError)) throw err;
            failures++;
            if (err.range) {
              expect(err.range.start.line).toBeGreaterThanOrEqual(1);
              expect(err.range.end.line).toBeGreaterThanOrEqual(err.range.start.line);
              expect(err.range.end.line).toBeLessThanOrEqual(lineCount);
              expect(err.render()).toMatch(/^fuzz\/Dockerfile:\d+:\d+: /);
            } else {
              expect(err.message).toBe('file with no instructions');
            }
            return;
          }
          successes++;
          // Plain checks here: thousands of runs times dozens of nodes make expect() costly.
          let prevEnd = 0;
          for (const node of result.nodes) {
            const { start, end } = node.range;
            if (start.line <= prevEnd || end.line < start.line || end.line > lineCount || start.col < 1) {
              throw new Error(`bad range ${JSON.stringify(node.range)} for ${JSON.stringify(node.original)}`);
            }
            prevEnd = end.line;
          }
          if (dumpResult(result).split('\n').length !== result.nodes.length + 1) throw new Error('bad dump');
        },
      ),
      { numRuns: 3000 },
    );
    console.log(`mutation runs: ${successes} parsed, ${failures} rejected with DockerfileError`);
    expect(successes).toBeGreaterThan(0);
    expect(failures).toBeGreaterThan(0);
  });
});
