import { describe, expect, it } from 'vitest';
import { DockerfileError } from '../../../frontend/errors.js';
import { dumpNode } from '../../../frontend/parser/dump.js';
import { parse } from '../../../frontend/parser/parse.js';

function dump(text: string): string[] {
  return parse(text).nodes.map(dumpNode);
}

function parseError(text: string, file?: string): DockerfileError {
  try {
    parse(text, { file });
  } catch (err) {
    if (err instanceof DockerfileError) return err;
    throw err;
  }
  throw new Error('expected parse to fail');
}

describe('directives', () => {
  it('records escape, syntax and check from the top of the file', () => {
    const r = parse('# syntax=docker/dockerfile:1\n#CHECK = skip=all;error=true\n# escape=`\nFROM a\n');
    expect(r.directives).toEqual({
      escape: '`',
      syntax: 'docker/dockerfile:1',
      check: 'skip=all;error=true',
    });
  });

  it('stops looking after a blank line, an ordinary comment or an unknown key', () => {
    expect(parse('\n# escape=`\nFROM a\n').directives.escape).toBe('\\');
    expect(parse('# hello\n# escape=`\nFROM a\n').directives.escape).toBe('\\');
    expect(parse('# foo=bar\n# escape=`\nFROM a\n').directives.escape).toBe('\\');
  });

  it('rejects a repeated directive and a bad escape value, at the directive line', () => {
    const twice = parseError('# escape=`\n# escape=`\nFROM a\n');
    expect(twice.message).toBe('only one escape parser directive can be used');
    expect(twice.range?.start.line).toBe(2);
    const bad = parseError('  # escape=x\nFROM a\n');
    expect(bad.message).toMatch(/invalid escape token 'x'/);
    expect(bad.range?.start).toEqual({ line: 1, col: 3 });
  });

  it('uses the backtick escape for continuations and word splitting', () => {
    expect(dump('# escape=`\nFROM a\nRUN a `\n b\nENV x=a` b\nCOPY --chown=a`=b x y\n')).toEqual([
      '(from "a")',
      '(run "a  b")',
      '(env "x" "a` b" "=")',
      '(copy ["--chown=a=b"] "x" "y")',
    ]);
  });

  it('strips a byte order mark and treats CRLF like LF', () => {
    expect(dump('\ufeff# escape=`\r\nFROM a\r\nRUN b `\r\n c\r\n')).toEqual(['(from "a")', '(run "b  c")']);
  });
});

describe('instructions', () => {
  it('keeps keywords case-insensitive and lower-cases them', () => {
    const r = parse('from a\nRuN b\n');
    expect(r.nodes.map((n) => n.keyword)).toEqual(['from', 'run']);
    expect(r.nodes[1].original).toBe('RuN b');
  });

  it('keeps unknown instructions with one empty argument', () => {
    expect(dump('FROM a\nFOO bar baz\n')).toEqual(['(from "a")', '(foo "")']);
  });

  it('splits flags: quotes removed, escapes applied, bare -- ends them', () => {
    expect(dump('COPY --from="a b" --chmod=7\\55 -- --x y\n')).toEqual([
      '(copy ["--from=a b" "--chmod=755"] "--x" "y")',
    ]);
  });

  it('nests ONBUILD and keeps its flags', () => {
    expect(dump('ONBUILD --x RUN ["a"]\nONBUILD\nONBUILD FOO\n')).toEqual([
      '(onbuild ["--x"] (run "a"))',
      '(onbuild)',
      '(onbuild (foo ""))',
    ]);
  });

  it('parses HEALTHCHECK type and command', () => {
    expect(dump('HEALTHCHECK NONE\nHEALTHCHECK CMD ["a", "b"]\n')).toEqual([
      '(healthcheck "NONE")',
      '(healthcheck "CMD" "a" "b")',
    ]);
    expect(parse('HEALTHCHECK CMD ["a"]\n').nodes[0].json).toBe(true);
  });

  it('falls back to shell form for anything that is not a JSON array', () => {
    expect(dump('CMD ["a"] trailing\nCMD [1e999]\nCMD [\'a\']\n')).toEqual([
      '(cmd "[\\"a\\"] trailing")',
      '(cmd "[1e999]")',
      '(cmd "[\'a\']")',
    ]);
  });

  it('rejects JSON arrays with non-strings', () => {
    for (const text of ['CMD ["a", 1]\n', 'RUN [null]\n', 'COPY [{"a":"b"}, "/x"]\n']) {
      expect(parseError(text).message).toBe(
        'when using JSON array syntax, arrays must be comprised of strings only',
      );
    }
  });

  it('rejects ENV and LABEL without a value, and k=v lists with a bare word', () => {
    expect(parseError('FROM a\nENV X\n').message).toBe('ENV must have two arguments');
    expect(parseError('FROM a\nLABEL X\n').message).toBe('LABEL must have two arguments');
    const e = parseError('FROM a\nENV a=b c\n');
    expect(e.message).toBe('Syntax error - can\'t find = in "c". Must be of the form: name=value');
    expect(e.range?.start.line).toBe(2);
  });

  it('joins continuation lines without separators and drops comment lines inside them', () => {
    expect(dump('RUN a \\\n# c\n  b \\\n\\\n c\n')).toEqual(['(run "a   b  c")']);
  });

  it('keeps an escaped escape at the end of a line from continuing', () => {
    expect(dump('ENV A x\\\\\nENV B y\n')).toEqual(['(env "A" "x\\\\\\\\" "")', '(env "B" "y" "")']);
  });

  it('does not continue a line ending in a triple escape (BuildKit limitation)', () => {
    expect(dump('RUN a\\\\\\\nRUN b\n')).toEqual(['(run "a\\\\\\\\\\\\")', '(run "b")']);
  });

  it('ends an instruction at end of file while continuing', () => {
    expect(dump('FROM a\nRUN b \\')).toEqual(['(from "a")', '(run "b")']);
  });
});

describe('ranges', () => {
  it('records 1-based lines and columns, continuations and comments included', () => {
    const { nodes } = parse('FROM a\n\n   RUN b \\\n  # x\n  c\n');
    expect(nodes[0].range).toEqual({ start: { line: 1, col: 1 }, end: { line: 1, col: 6 } });
    expect(nodes[1].range).toEqual({ start: { line: 3, col: 4 }, end: { line: 5, col: 3 } });
    expect(nodes[1].original).toBe('RUN b   c');
  });

  it('returns the source lines without line ends', () => {
    expect(parse('FROM a\r\nRUN b\n').lines).toEqual(['FROM a', 'RUN b']);
  });
});

describe('errors', () => {
  it('rejects an empty file and a file of comments', () => {
    const empty = parseError('');
    expect(empty.message).toBe('file with no instructions');
    expect(empty.range).toBeUndefined();
    expect(empty.render()).toBe('Dockerfile: file with no instructions');
    const comments = parseError('# a\n\n# b\n', 'ctx/Dockerfile');
    expect(comments.range?.start.line).toBe(3);
    expect(comments.render()).toBe('ctx/Dockerfile:3:1: file with no instructions\n# b\n^');
  });

  it('renders file:line:col, the line, and a caret under the column (tabs kept)', () => {
    const err = parseError('FROM a\n\tENV X\n', 'app/Dockerfile');
    expect(err.render()).toBe('app/Dockerfile:2:2: ENV must have two arguments\n\tENV X\n\t^');
    expect(err.render()).not.toMatch(/at .*\.ts/);
    expect(err.code).toBe('E_PARSE');
  });

  it('rejects a line longer than 65535 bytes', () => {
    const err = parseError(`FROM a\nRUN ${'x'.repeat(70000)}\n`);
    expect(err.message).toBe('dockerfile line greater than max allowed size of 65535');
    expect(err.range?.start.line).toBe(2);
  });
});
