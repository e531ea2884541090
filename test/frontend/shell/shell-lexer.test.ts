import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DockerfileError, withLocation } from '../../../frontend/errors.js';
import {
  ExpansionError,
  processWord,
  processWords,
  replacePattern,
  ShellLexer,
  trimPrefix,
  trimSuffix,
} from '../../../frontend/shell/index.js';

describe('ShellLexer options', () => {
  it('uses a backtick as the escape character when asked', () => {
    const lex = new ShellLexer({ escapeToken: '`' });
    expect(lex.processWord('C:\\dir `$HOME', { HOME: '/h' }).result).toBe('C:\\dir $HOME');
    expect(lex.processWord('"a``b`"c"', {}).result).toBe('a`b"c');
    // Inside double quotes a backtick before an ordinary character stays.
    expect(lex.processWord('"a`tb"', {}).result).toBe('a`tb');
  });

  it('rejects an escape token that is not one character', () => {
    expect(() => new ShellLexer({ escapeToken: '' })).toThrow(TypeError);
  });

  it('skipUnsetEnv leaves unset references as written', () => {
    const opts = { skipUnsetEnv: true };
    expect(processWord('$A ${B} ${C:-d} ${E/x/y} $SET', { SET: 's' }, opts).result).toBe(
      '$A ${B} ${C:-d} ${E/x/y} s',
    );
  });

  it('rawQuotes keeps the quotes and rawEscapes keeps the escapes', () => {
    expect(processWord(`'a b' "c $X"`, { X: 'x' }, { rawQuotes: true }).result).toBe(`'a b' "c x"`);
    expect(processWord('a\\$X "\\$X"', { X: 'x' }, { rawEscapes: true }).result).toBe('a\\$X \\$X');
  });

  it('skipProcessQuotes treats quotes as text', () => {
    expect(processWord(`'$X'`, { X: 'x' }, { skipProcessQuotes: true }).result).toBe(`'x'`);
  });

  it('caseInsensitiveEnv matches names regardless of case and records them as written', () => {
    const got = processWord('$path', ['PATH=/bin'], { caseInsensitiveEnv: true });
    expect(got.result).toBe('/bin');
    expect([...got.matched]).toEqual(['path']);
  });
});

describe('env shapes', () => {
  it('accepts a map, an object, K=V strings and pairs; later list entries win', () => {
    expect(processWord('$A', new Map([['A', '1']])).result).toBe('1');
    expect(processWord('$A', { A: '2' }).result).toBe('2');
    expect(processWord('$A-$B', ['A=1', 'A=3', 'B']).result).toBe('3-');
    expect(processWord('$A', [['A', '4']]).result).toBe('4');
  });
});

describe('errors', () => {
  it('are ExpansionError with code E_PARSE, the word and the reason', () => {
    try {
      processWord('x${V:?must be set}', {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ExpansionError);
      const e = err as ExpansionError;
      expect(e.code).toBe('E_PARSE');
      expect(e.word).toBe('x${V:?must be set}');
      expect(e.detail).toBe('V: must be set');
      expect(e.message).toBe('failed to process "x${V:?must be set}": V: must be set');
    }
  });

  it('are DockerfileErrors that withLocation locates in place', () => {
    let err: unknown;
    try {
      processWord('${A', {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DockerfileError);
    const range = { start: { line: 3, col: 1 }, end: { line: 3, col: 9 } };
    const located = withLocation(err, range, { file: 'Dockerfile', lines: ['', '', 'ENV x=${A'] });
    expect(located).toBe(err);
    expect(located.render()).toBe(
      `Dockerfile:3:1: failed to process "\${A": syntax error: missing '}'\nENV x=\${A\n^`,
    );
  });

  it('name the problem', () => {
    const detail = (w: string) => {
      try {
        processWord(w, {});
      } catch (err) {
        return (err as ExpansionError).detail;
      }
      return 'no error';
    };
    expect(detail('${a')).toBe("syntax error: missing '}'");
    expect(detail('${a:-b')).toBe("syntax error: missing '}'");
    expect(detail('${a/b')).toBe("syntax error: missing '/' in ${}");
    expect(detail('${}')).toBe('syntax error: bad substitution');
    expect(detail('${a=b}')).toBe('unsupported modifier (=) in substitution');
    expect(detail('${a:#b}')).toBe('unsupported modifier (:#) in substitution');
    expect(detail('${a#\\x}')).toBe("invalid pattern (\\x) in substitution: invalid escape '\\x'");
    expect(detail('"abc')).toBe('unexpected end of statement while looking for matching double-quote');
    expect(detail('${a?}')).toBe('a: is not allowed to be unset');
  });
});

describe('words', () => {
  it('splits unquoted expansions, keeps quoted and escaped spaces', () => {
    expect(processWords('80/tcp $PORTS "a b"', { PORTS: ' 1  2 ' })).toEqual(['80/tcp', '1', '2', 'a b']);
    expect(processWords('a "" b', {})).toEqual(['a', 'b']);
  });

  it('keeps text before a nested default (BuildKit 2024+ loses it; see word-expansion.ts)', () => {
    expect(processWords('pre${X:-a b}post', {})).toEqual(['prea', 'bpost']);
  });
});

describe('pattern substitution', () => {
  it('replaces like Go ReplaceAllString: empty matches after a match are skipped', () => {
    // Go: regexp.MustCompile(`b.*`)... and the empty pattern inserts between characters.
    expect(replacePattern('', 'abc', '-', true)).toBe('-a-b-c-');
    expect(replacePattern('x*', 'axxb', '-', true)).toBe('a-');
    expect(replacePattern('?', 'ab', '[$0]', true)).toBe('[a][b]');
    expect(replacePattern('?', 'ab', '$$${0}$1$x', true)).toBe('$a$b');
    // A single replacement inserts the text as is.
    expect(replacePattern('?', 'ab', '$0', false)).toBe('$0b');
  });

  it('does not let * or ? match a newline (RE2 `.`)', () => {
    expect(trimPrefix('*', 'a\nb', true)).toBe('\nb');
    expect(replacePattern('?', '\n', 'x', true)).toBe('\n');
  });

  it('handles patterns that make backtracking matchers explode', () => {
    const value = 'a'.repeat(3000);
    expect(trimPrefix('*a*a*a*a*a*a*a*b', value, true)).toBe(value);
    expect(replacePattern('*a*a*a*a*a*a*b', value, 'x', true)).toBe(value);
  });

  // A JS RegExp is a valid oracle on small inputs: with only greedy `.*`, leftmost-first
  // (RegExp, RE2) and our leftmost-longest search agree.
  const patternArb = fc
    .array(fc.constantFrom('a', 'b', '*', '?', '\\*', '\\?'), { maxLength: 6 })
    .map((p) => p.join(''));
  const valueArb = fc
    .array(fc.constantFrom('a', 'b', '*', '?', '\n'), { maxLength: 10 })
    .map((v) => v.join(''));
  const toRegex = (p: string, lazy: boolean) =>
    Array.from(p.matchAll(/\\(.)|(.)/gsu))
      .map(([, esc, ch]) =>
        esc ? `\\${esc}` : ch === '*' ? (lazy ? '[^\\n]*?' : '[^\\n]*') : ch === '?' ? '[^\\n]' : ch,
      )
      .join('');

  it('trimPrefix/trimSuffix agree with an anchored regexp', () => {
    fc.assert(
      fc.property(patternArb, valueArb, fc.boolean(), (p, v, longest) => {
        const pre = new RegExp(`^(?:${toRegex(p, !longest)})`, 'u').exec(v);
        expect(trimPrefix(p, v, longest)).toBe(pre ? v.slice(pre[0].length) : v);
        // Suffix: try every start, keep the longest/shortest matching suffix.
        const re = new RegExp(`^(?:${toRegex(p, false)})$`, 'u');
        const starts = [...Array(v.length + 1).keys()].filter((i) => re.test(v.slice(i)));
        const cut = starts.length === 0 ? v.length : longest ? starts[0] : starts[starts.length - 1];
        expect(trimSuffix(p, v, longest)).toBe(v.slice(0, cut));
      }),
    );
  });

  it('replacePattern agrees with a Go-style loop over a global regexp', () => {
    fc.assert(
      fc.property(patternArb, valueArb, fc.boolean(), (p, v, all) => {
        const re = new RegExp(toRegex(p, false), 'gu');
        let expected: string;
        if (!all) {
          re.lastIndex = 0;
          const m = re.exec(v);
          expected = m ? v.slice(0, m.index) + 'R' + v.slice(m.index + m[0].length) : v;
        } else {
          expected = '';
          let lastEnd = 0;
          let pos = 0;
          while (pos <= v.length) {
            re.lastIndex = pos;
            const m = re.exec(v);
            if (!m) break;
            const end = m.index + m[0].length;
            expected += v.slice(lastEnd, m.index);
            if (end > lastEnd || m.index === 0) expected += 'R';
            lastEnd = end;
            pos = Math.max(pos + 1, end);
          }
          expected += v.slice(lastEnd);
        }
        expect(replacePattern(p, v, 'R', all)).toBe(expected);
      }),
    );
  });
});
