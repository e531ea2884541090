import { describe, expect, it } from 'vitest';
import { OutputTail } from '../../../core/exec/output-tail.js';

describe('OutputTail: the last output of a failed RUN', () => {
  it('joins a line written in pieces (npm writes `npm`, ` `, `ERR!` separately)', () => {
    const t = new OutputTail();
    for (const piece of ['npm', ' ', 'ERR!', ' code E404\nnpm', ' ', 'ERR!', ' 404 Not Found\n'])
      t.push('stderr', piece);
    expect(t.lines()).toEqual(['npm ERR! code E404', 'npm ERR! 404 Not Found']);
  });

  it('keeps stdout and stderr lines apart when their pieces interleave', () => {
    const t = new OutputTail();
    t.push('stdout', 'building ');
    t.push('stderr', 'warn: ');
    t.push('stdout', 'app\n');
    t.push('stderr', 'deprecated\n');
    expect(t.lines()).toEqual(['building app', 'warn: deprecated']);
  });

  it('decodes a UTF-8 character split across chunks, and keeps a last line without newline', () => {
    const t = new OutputTail();
    const bytes = Buffer.from('héllo ✓\nend');
    t.push('stdout', bytes.subarray(0, 2));
    t.push('stdout', bytes.subarray(2, 10));
    t.push('stdout', bytes.subarray(10));
    expect(t.lines()).toEqual(['héllo ✓', 'end']);
  });

  it('is bounded: the last N lines, each cut at the byte limit', () => {
    const t = new OutputTail(3, 10);
    for (let i = 0; i < 100; i++) t.push('stdout', `line ${i}\n`);
    t.push('stdout', `${'x'.repeat(50)}`);
    t.push('stdout', `${'y'.repeat(50)}\n`);
    expect(t.lines()).toEqual(['line 98', 'line 99', `${'x'.repeat(10)} [line cut]`]);
  });
});
