import { expect, it } from 'vitest';
import { DockerfileError } from '../../../frontend/errors.js';
import { dumpResult } from '../../../frontend/parser/dump.js';
import { parse } from '../../../frontend/parser/parse.js';
import { describeConformance } from '../../helpers/conformance.js';
import { listCases, readCase, readJson } from './conformance.js';

describeConformance('BuildKit golden testfiles', () => {
  const cases = listCases('testfiles');
  it('has the whole corpus', () => {
    expect(cases.length).toBe(33);
    console.log(`parser golden cases: ${cases.length}`);
  });
  for (const name of cases) {
    it(`${name} dumps exactly as its result file`, () => {
      const text = readCase('testfiles', name, 'Dockerfile');
      expect(dumpResult(parse(text, { file: `${name}/Dockerfile` }))).toBe(
        readCase('testfiles', name, 'result'),
      );
    });
  }
});

describeConformance('BuildKit negative testfiles', () => {
  const cases = listCases('testfiles-negative');
  it('has the 4 cases', () => expect(cases).toHaveLength(4));
  for (const name of cases) {
    it(`${name} fails with DockerfileError`, () => {
      const text = readCase('testfiles-negative', name, 'Dockerfile');
      let caught: unknown;
      try {
        parse(text);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(DockerfileError);
      expect((caught as DockerfileError).code).toBe('E_PARSE');
    });
  }
});

describeConformance('testfile-line', () => {
  it('gives each instruction the start and end lines BuildKit reports', () => {
    const want = readJson<{ astStartLine: number; astEndLine: number; children: [number, number][] }>(
      'testfile-line/expected.json',
    );
    const { nodes } = parse(readCase('testfile-line', 'Dockerfile'));
    expect(nodes.map((n) => [n.range.start.line, n.range.end.line])).toEqual(want.children);
    expect(nodes[0].range.start.line).toBe(want.astStartLine);
    expect(nodes.at(-1)!.range.end.line).toBe(want.astEndLine);
  });
});

describeConformance('results.json agrees with the result files', () => {
  it('lists the same keywords, flags and args', () => {
    type Entry = { cmd: string; flags?: string[]; args: (string | Entry)[] };
    const all = readJson<Record<string, Entry[]>>('results.json');
    let n = 0;
    for (const [name, entries] of Object.entries(all)) {
      const { nodes } = parse(readCase('testfiles', name, 'Dockerfile'));
      const simplify = (node: (typeof nodes)[number]): Entry => {
        const e: Entry = { cmd: node.keyword, args: [...node.args] };
        if (node.flags.length) e.flags = node.flags;
        if (node.next) e.args.push(simplify(node.next));
        return e;
      };
      const norm = (e: Entry): Entry => ({
        cmd: e.cmd,
        ...(e.flags?.length ? { flags: e.flags } : {}),
        args: e.args.map((a) => (typeof a === 'string' ? a : norm(a))),
      });
      expect(nodes.map(simplify)).toEqual(entries.map(norm));
      n++;
    }
    expect(n).toBe(33);
  });
});
