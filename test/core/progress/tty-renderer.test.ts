import { describe, expect, it } from 'vitest';
import { ttyRenderer } from '../../../core/progress/tty-renderer.js';
import { capture } from './capture.js';

describe('tty view: a timer per step', () => {
  it('shows each running step with its own elapsed time, and each finished one with its duration', async () => {
    const c = capture();
    const r = ttyRenderer(c.out);
    const now = Date.now();
    r.sink({ type: 'vertex-start', id: 1, name: '[1/2] RUN long', time: now - 4200 });
    r.sink({ type: 'vertex-start', id: 2, name: '[2/2] RUN short', time: now - 1100 });
    await new Promise((res) => setTimeout(res, 250)); // the view redraws every 100 ms
    r.sink({ type: 'vertex-done', id: 2, time: now + 900 });
    r.close();
    const text = c.text().replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(text).toMatch(/=> \[1\/2\] RUN long {2}4\.[2-9]s/);
    expect(text).toMatch(/=> \[2\/2\] RUN short {2}1\.[1-9]s/);
    expect(text).toMatch(/=> \[2\/2\] RUN short {2}2\.0s/); // the finished line: its duration
  });
});
