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

describe('tty view: byte progress', () => {
  it('shows the bytes a pull or push has moved of its total on the running step', async () => {
    const c = capture();
    const r = ttyRenderer(c.out);
    r.sink({ type: 'vertex-start', id: 1, name: 'pulling docker.io/library/node:22', time: Date.now() });
    const part = (statusId: string, current: number, total: number) =>
      r.sink({ type: 'vertex-status', id: 1, text: statusId, statusId, current, total });
    part('sha256:aa', 3_000_000, 10_000_000);
    part('sha256:bb', 500_000, 2_000_000);
    part('sha256:aa', 4_000_000, 10_000_000); // an update replaces, never adds
    await new Promise((res) => setTimeout(res, 250));
    r.close();
    const text = c.text().replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(text).toMatch(/=> pulling docker\.io\/library\/node:22 {2}\d\.\ds {2}4\.50MB \/ 12\.0MB/);
  });

  it('shows an archive being written by its bytes so far, before its size is known', async () => {
    const c = capture();
    const r = ttyRenderer(c.out);
    r.sink({ type: 'vertex-start', id: 3, name: 'exporting docker to app.tar', time: Date.now() });
    r.sink({ type: 'vertex-status', id: 3, text: 'writing', statusId: 'write', current: 7_340_000 });
    await new Promise((res) => setTimeout(res, 250));
    r.close();
    const text = c.text().replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(text).toMatch(/=> exporting docker to app\.tar {2}\d\.\ds {2}7\.34MB\n/);
  });
});
