import { describe, expect, it } from 'vitest';
import { formatLogTime, plainRenderer } from '../../../core/progress/plain-renderer.js';
import { capture } from './capture.js';

describe('plain progress (BuildKit format plus reasons)', () => {
  it('prints blocks with log times, CACHED, DONE and the reason line', () => {
    const c = capture();
    const r = plainRenderer(c.out);
    r.sink({
      type: 'vertex-cached',
      id: 1,
      name: '[1/2] COPY a /a',
      decision: { hit: true, reason: 'cache hit: made by build x' },
    });
    r.sink({ type: 'vertex-start', id: 2, name: '[2/2] RUN make', time: 1000 });
    r.sink({
      type: 'vertex-decision',
      id: 2,
      decision: { hit: false, reason: 'no earlier build of this step' },
    });
    r.sink({ type: 'vertex-log', id: 2, stream: 'stdout', data: 'hello\npart', time: 1123 });
    r.sink({ type: 'vertex-log', id: 2, stream: 'stdout', data: 'ial\n', time: 1500 });
    r.sink({ type: 'vertex-done', id: 2, time: 1600 });
    expect(c.text()).toBe(
      [
        '#1 [1/2] COPY a /a',
        '#1 CACHE HIT: cache hit: made by build x',
        '#1 CACHED',
        '',
        '#2 [2/2] RUN make',
        '#2 CACHE MISS: no earlier build of this step',
        '#2 0.123 hello',
        '#2 0.500 partial',
        '#2 DONE 0.6s',
        '',
        '',
      ].join('\n'),
    );
  });

  it('reprints the last lines of a failed step between markers', () => {
    const c = capture();
    const r = plainRenderer(c.out);
    r.sink({ type: 'vertex-start', id: 3, name: '[1/1] RUN false', time: 0 });
    r.sink({ type: 'vertex-log', id: 3, stream: 'stderr', data: 'boom\n', time: 10 });
    r.sink({ type: 'vertex-error', id: 3, message: 'exited with code 1', time: 20 });
    expect(c.text()).toContain('#3 ERROR: exited with code 1\n------\n > [1/1] RUN false:\nboom\n------\n');
  });

  it('formats log times with 3, 2, then 1 decimals', () => {
    expect([formatLogTime(1.23456), formatLogTime(12.3456), formatLogTime(123.456)]).toEqual([
      '1.235',
      '12.35',
      '123.5',
    ]);
  });
});

describe('plain progress: byte statuses', () => {
  it('prints one line per part when it is done, not every update', () => {
    const c = capture();
    const r = plainRenderer(c.out);
    r.sink({ type: 'vertex-start', id: 1, name: 'pushing reg/app:1', time: 0 });
    for (const n of [1_000_000, 2_000_000])
      r.sink({
        type: 'vertex-status',
        id: 1,
        text: 'sha256:aa',
        statusId: 'sha256:aa',
        current: n,
        total: 3_150_000,
      });
    r.sink({
      type: 'vertex-status',
      id: 1,
      text: 'sha256:aa',
      statusId: 'sha256:aa',
      current: 3_150_000,
      total: 3_150_000,
      completed: true,
    });
    r.sink({ type: 'vertex-done', id: 1, time: 300 });
    expect(c.text()).toBe('#1 pushing reg/app:1\n#1 sha256:aa 3.15MB / 3.15MB done\n#1 DONE 0.3s\n\n');
  });
});
