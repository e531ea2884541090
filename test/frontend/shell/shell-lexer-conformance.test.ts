// Table tests from BuildKit's lexer suite (shared/conformance/shell, see its README for how
// upstream reads each file).
import { expect, it } from 'vitest';
import {
  ExpansionError,
  processWord,
  processWords,
  trimPrefix,
  trimSuffix,
} from '../../../frontend/shell/index.js';
import { describeConformance, readConformanceJson } from '../../helpers/conformance.js';

const load = <T>(name: string): T => readConformanceJson<T>('shell', name);

interface EnvVarCase {
  line: number;
  platform: 'A' | 'U' | 'W';
  input: string;
  expected?: string;
  error?: boolean;
}
interface WordsCase {
  line: number;
  input: string;
  env: string[];
  expected?: string[];
  error?: boolean;
}
interface ProcessWordCase {
  input: string;
  env: Record<string, string>;
  expected?: string;
  error?: boolean;
  errorContains?: string;
  matched?: string[];
  unmatched?: string[];
}

function expectExpansionError(fn: () => unknown, contains?: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ExpansionError);
  expect((caught as ExpansionError).code).toBe('E_PARSE');
  if (contains) expect((caught as Error).message).toContain(contains);
}

describeConformance('envVarTest (ProcessWord)', () => {
  const file = load<{ env: string[]; cases: EnvVarCase[] }>('envVarTest.json');
  // `A` rows must hold on both platforms, so they run under both env-key semantics.
  const runs = file.cases.flatMap((c) => {
    const modes = c.platform === 'A' ? [false, true] : [c.platform === 'W'];
    return modes.map((caseInsensitiveEnv) => ({ c, caseInsensitiveEnv }));
  });
  const counts = { A: 0, U: 0, W: 0 };
  for (const c of file.cases) counts[c.platform]++;
  console.log(
    `envVarTest: ${file.cases.length} rows (A ${counts.A}, U ${counts.U}, W ${counts.W}), ${runs.length} runs`,
  );

  it.each(runs)(
    'line $c.line ($c.platform, caseInsensitive=$caseInsensitiveEnv): $c.input',
    ({ c, caseInsensitiveEnv }) => {
      const run = () => processWord(c.input, file.env, { caseInsensitiveEnv }).result;
      if (c.error) expectExpansionError(run);
      else expect(run()).toBe(c.expected);
    },
  );
});

describeConformance('wordsTest (ProcessWords)', () => {
  const file = load<{ cases: WordsCase[] }>('wordsTest.json');
  console.log(`wordsTest: ${file.cases.length} rows`);

  it.each(file.cases)('line $line: $input', (c) => {
    const run = () => processWords(c.input, c.env);
    if (c.error) expectExpansionError(run);
    else expect(run()).toEqual(c.expected);
  });
});

describeConformance('processWord cases (with matched/unmatched)', () => {
  const file = load<{ cases: ProcessWordCase[] }>('processWord-cases.json');
  console.log(`processWord-cases: ${file.cases.length} rows`);

  it.each(file.cases)('$input with $env', (c) => {
    const env = new Map(Object.entries(c.env));
    if (c.error) {
      expectExpansionError(() => processWord(c.input, env), c.errorContains);
      return;
    }
    const got = processWord(c.input, env);
    expect(got.result).toBe(c.expected);
    if (c.matched) expect([...got.matched].sort()).toEqual([...c.matched].sort());
    if (c.unmatched) expect([...got.unmatched].sort()).toEqual([...c.unmatched].sort());
  });
});

describeConformance('shell patterns (shellPatternRegex-cases, checked by behaviour)', () => {
  const file = load<{
    toRegex: { pattern: string; regexp: string }[];
    invalid: string[];
    reversePattern: { pattern: string; reversed: string }[];
  }>('shellPatternRegex-cases.json');
  console.log(
    `shellPatternRegex-cases: ${file.toRegex.length} toRegex, ${file.invalid.length} invalid, ${file.reversePattern.length} reverse`,
  );

  it('* and ? are wildcards, escaped they are literals', () => {
    expect(trimPrefix('*', 'abc', true)).toBe('');
    expect(trimPrefix('?', 'abc', false)).toBe('bc');
    expect(trimPrefix('\\*', '*bc', false)).toBe('bc');
    expect(trimPrefix('\\*', 'abc', false)).toBe('abc');
    // Every regexp metacharacter in the upstream row is a literal.
    const row = file.toRegex.find((r) => r.pattern.startsWith('(('))!;
    expect(trimPrefix(row.pattern, '(()[]{}^$.*?|\\rest', false)).toBe('rest');
    expect(trimPrefix(row.pattern, '(()[]{}^$.x?|\\rest', false)).toBe('(()[]{}^$.x?|\\rest');
  });

  it.each(file.invalid)('invalid pattern %j is rejected', (pattern) => {
    expect(() => trimPrefix(pattern, 'x', false)).toThrow(/invalid escape/);
    expect(() => trimSuffix(pattern, 'x', false)).toThrow(/invalid escape/);
  });

  it.each(file.reversePattern)('suffix matching keeps escapes attached: $pattern', ({ pattern }) => {
    // Read the pattern left to right: an escape takes the next character with it.
    let literal = '';
    let valid = true;
    const chars = Array.from(pattern);
    for (let i = 0; i < chars.length; i++) {
      if (chars[i] !== '\\') literal += chars[i];
      else if (['*', '?', '\\'].includes(chars[i + 1])) literal += chars[++i];
      else valid = false;
    }
    if (valid) expect(trimSuffix(pattern, `x${literal}`, false)).toBe('x');
    else expect(() => trimSuffix(pattern, `x${literal}`, false)).toThrow(/invalid escape/);
  });
});
