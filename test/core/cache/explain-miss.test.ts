import { describe, expect, it } from 'vitest';
import { diffFiles, explainMiss } from '../../../core/cache/explain-miss.js';
import type { CacheRecord, KeyInputs } from '../../../core/cache/records.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as const;

function record(k: KeyInputs, instruction: string): CacheRecord {
  return {
    key: d('f'),
    version: 1,
    createdAt: '2026-01-01T00:00:00Z',
    keyInputs: k,
    result: { created: '1970-01-01T00:00:00Z' },
    options: {
      stepId: 's',
      file: 'Dockerfile',
      stage: 'stage-0',
      position: 1,
      instruction,
      buildId: 'b1',
      base: 'scratch',
    },
  };
}

describe('explainMiss', () => {
  it('says when there is no earlier build', () => {
    expect(explainMiss(undefined, { parent: d('a'), op: {}, inputs: {} }, 'RUN x').cause).toBe('new');
  });
  it('names the instruction change', () => {
    const prev = record(
      { parent: d('a'), op: { kind: 'run', argv: ['sh', '-c', 'a'] }, inputs: {} },
      'RUN a',
    );
    const e = explainMiss(
      prev,
      { parent: d('a'), op: { kind: 'run', argv: ['sh', '-c', 'b'] }, inputs: {} },
      'RUN b',
    );
    expect(e.cause).toBe('instruction');
    expect(e.reason).toContain('"RUN a" -> "RUN b"');
  });
  it('names a changed build arg with old and new values', () => {
    const prev = record({ parent: d('a'), op: { kind: 'run', env: ['V=1', 'P=x'] }, inputs: {} }, 'RUN a');
    const e = explainMiss(
      prev,
      { parent: d('a'), op: { kind: 'run', env: ['V=2', 'P=x'] }, inputs: {} },
      'RUN a',
    );
    expect(e.cause).toBe('args');
    expect(e.details).toEqual(['V changed "1" -> "2"']);
  });
  it('names a build arg given to an ARG step', () => {
    const prev = record(
      { parent: d('a'), op: { kind: 'arg', args: [{ name: 'V', value: '1' }] }, inputs: {} },
      'ARG V=1',
    );
    const e = explainMiss(
      prev,
      { parent: d('a'), op: { kind: 'arg', args: [{ name: 'V', value: '2' }] }, inputs: {} },
      'ARG V=1',
    );
    expect(e.cause).toBe('args');
    expect(e.reason).toBe('a build arg changed: V changed "1" -> "2"');
  });
  it('names the changed files of a COPY with old and new checksums', () => {
    const prev = record({ parent: d('a'), op: { kind: 'copy' }, inputs: { content: d('1') } }, 'COPY . .');
    const e = explainMiss(
      prev,
      { parent: d('a'), op: { kind: 'copy' }, inputs: { content: d('2') } },
      'COPY . .',
      {
        oldFiles: [
          { path: 'index.js', digest: d('3') },
          { path: 'gone.txt', digest: d('5') },
        ],
        newFiles: [
          { path: 'index.js', digest: d('4') },
          { path: 'new.txt', digest: d('6') },
        ],
      },
    );
    expect(e.cause).toBe('sources');
    expect(e.reason).toBe('COPY/ADD sources changed: changed index.js, added new.txt, removed gone.txt');
    expect(e.details[0]).toBe(`changed index.js (${'3'.repeat(12)} -> ${'4'.repeat(12)})`);
  });
  it('diffFiles lists nothing for equal lists', () => {
    expect(diffFiles([{ path: 'a', digest: d('1') }], [{ path: 'a', digest: d('1') }])).toEqual([]);
  });
});
