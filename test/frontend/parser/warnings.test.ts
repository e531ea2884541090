import { expect, it } from 'vitest';
import { parse } from '../../../frontend/parser/parse.js';
import { describeConformance } from '../../helpers/conformance.js';
import { readJson } from './conformance.js';

describeConformance('empty continuation lines', () => {
  const table = readJson<{ dockerfile: string; expectedWarningCount: number; warningsContain: string[] }>(
    'empty-continuation-warnings.json',
  );

  it('warns once per instruction with a blank continuation line, never for comment lines', () => {
    const { warnings } = parse(table.dockerfile);
    expect(warnings).toHaveLength(table.expectedWarningCount);
    expect(warnings.every((w) => w.code === 'EmptyContinuation')).toBe(true);
    table.warningsContain.forEach((text, i) => {
      expect(warnings[i].message).toContain(text);
    });
    expect(warnings[0].message).toBe(
      'Empty continuation line found in: RUN something     following     more',
    );
  });

  it('gives each warning the instruction range', () => {
    const { warnings } = parse(table.dockerfile);
    expect(warnings.map((w) => [w.range?.start.line, w.range?.end.line])).toEqual([
      [7, 11],
      [13, 15],
    ]);
  });

  it('produces no warning for a file without blank continuation lines', () => {
    expect(parse('FROM a\nRUN a \\\n  # comment\n  b\n').warnings).toEqual([]);
  });
});
