import { describe, expect, it } from 'vitest';
import { rawJsonRenderer, vertexDigest } from '../../../core/progress/rawjson-renderer.js';
import { capture } from './capture.js';

describe('--progress=rawjson (BuildKit SolveStatus lines)', () => {
  it('writes one SolveStatus per line: vertexes, statuses, base64 logs, warnings', () => {
    const c = capture();
    const r = rawJsonRenderer(c.out);
    const t0 = Date.parse('2026-01-02T03:04:05.000Z');
    r.sink({
      type: 'vertex-cached',
      id: 1,
      name: '[1/3] FROM busybox',
      decision: { hit: true, reason: 'base image' },
    });
    r.sink({ type: 'vertex-start', id: 2, name: '[2/3] RUN echo hi', time: t0 });
    r.sink({ type: 'vertex-decision', id: 2, decision: { hit: false, reason: 'no record for this key' } });
    r.sink({ type: 'vertex-log', id: 2, stream: 'stdout', data: Buffer.from('hi\n'), time: t0 + 5 });
    r.sink({ type: 'vertex-log', id: 2, stream: 'stderr', data: 'oops\n', time: t0 + 6 });
    r.sink({ type: 'vertex-done', id: 2, time: t0 + 1500 });
    r.sink({ type: 'vertex-start', id: 3, name: '[3/3] RUN false', time: t0 + 1600 });
    r.sink({ type: 'vertex-error', id: 3, message: 'exited with code 1', time: t0 + 1700 });
    r.sink({ type: 'warning', message: 'Dockerfile:3: JSONArgsRecommended' });
    r.sink({ type: 'info', message: 'pulled busybox' });
    r.close();
    const lines = c.text().trimEnd().split('\n');
    const all = lines.map((l) => JSON.parse(l));
    for (const s of all)
      expect(Object.keys(s).every((k) => ['vertexes', 'statuses', 'logs', 'warnings'].includes(k))).toBe(
        true,
      );
    const d2 = vertexDigest(2, '[2/3] RUN echo hi');
    expect(d2).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(all[0].vertexes[0]).toMatchObject({ name: '[1/3] FROM busybox', cached: true });
    expect(all[1].statuses[0]).toMatchObject({ id: 'cache', name: 'CACHE HIT: base image', current: 0 });
    expect(all[2].vertexes[0]).toEqual({
      digest: d2,
      name: '[2/3] RUN echo hi',
      started: '2026-01-02T03:04:05.000Z',
    });
    expect(all[3].statuses[0]).toMatchObject({ vertex: d2, name: 'CACHE MISS: no record for this key' });
    expect(all[4].logs[0]).toEqual({
      vertex: d2,
      stream: 1,
      data: Buffer.from('hi\n').toString('base64'),
      timestamp: '2026-01-02T03:04:05.005Z',
    });
    expect(all[5].logs[0].stream).toBe(2);
    expect(Buffer.from(all[5].logs[0].data, 'base64').toString()).toBe('oops\n');
    expect(all[6].vertexes[0]).toEqual({
      digest: d2,
      name: '[2/3] RUN echo hi',
      started: '2026-01-02T03:04:05.000Z',
      completed: '2026-01-02T03:04:06.500Z',
    });
    expect(all[8].vertexes[0]).toMatchObject({ name: '[3/3] RUN false', error: 'exited with code 1' });
    expect(Buffer.from(all[9].warnings[0].short, 'base64').toString()).toBe(
      'Dockerfile:3: JSONArgsRecommended',
    );
    expect(all[9].warnings[0].level).toBe(1);
    expect(all[10].vertexes[0]).toMatchObject({ name: 'pulled busybox' });
    expect(all[10].vertexes[0].completed).toBeDefined();
  });
});
