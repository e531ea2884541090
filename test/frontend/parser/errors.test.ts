import { describe, expect, it } from 'vitest';
import { DockerfileError, errorAt, lineRange, withLocation } from '../../../frontend/errors.js';

const lines = ['FROM alpine', '\tRUN  --bad x', 'COPY a b'];
const range = (line: number, col: number) => ({ start: { line, col }, end: { line, col } });

describe('DockerfileError.render()', () => {
  it('prints file:line:col, the source line and a caret under the column', () => {
    const err = errorAt('parse flag: unknown flag --bad', range(2, 7), { file: 'app/Dockerfile', lines });
    expect(err.render()).toBe('app/Dockerfile:2:7: parse flag: unknown flag --bad\n\tRUN  --bad x\n\t     ^');
  });

  it('prints only the header when the source lines are unknown or the line is missing', () => {
    expect(errorAt('boom', range(3, 1)).render()).toBe('Dockerfile:3:1: boom');
    expect(errorAt('boom', range(9, 1), { lines }).render()).toBe('Dockerfile:9:1: boom');
  });

  it('prints file: message without a range, and never a stack', () => {
    const err = new DockerfileError('file with no instructions', { file: 'x' });
    expect(err.render()).toBe('x: file with no instructions');
    expect(err.code).toBe('E_PARSE');
    expect(err.name).toBe('DockerfileError');
    expect(err).toBeInstanceOf(Error);
  });
});

describe('withLocation', () => {
  it('adds a range and context to a DockerfileError that has none', () => {
    const err = withLocation(new DockerfileError('bad'), lineRange(1, 1, lines), { file: 'f', lines });
    expect(err.range).toEqual({ start: { line: 1, col: 1 }, end: { line: 1, col: 11 } });
    expect(err.render()).toBe('f:1:1: bad\nFROM alpine\n^');
  });

  it('keeps the innermost range', () => {
    const inner = errorAt('bad', range(2, 5));
    expect(withLocation(inner, range(1, 1)).range?.start).toEqual({ line: 2, col: 5 });
  });

  it('wraps other errors, keeping them as cause', () => {
    const cause = new TypeError('oops');
    const err = withLocation(cause, range(3, 1), { lines });
    expect(err).toBeInstanceOf(DockerfileError);
    expect(err.message).toBe('oops');
    expect(err.cause).toBe(cause);
    expect(err.render()).toBe('Dockerfile:3:1: oops\nCOPY a b\n^');
  });
});
