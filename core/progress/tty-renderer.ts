/**
 * A live view for terminals: one line per step with a running timer, redrawn in place,
 * the newest log lines of running steps underneath. Finished steps scroll up as plain
 * lines, so the scrollback reads like the plain format.
 */
import type { BuildEvent, ProgressRenderer } from './events.js';
import { humanSize } from './human-size.js';

interface Row {
  id: number;
  name: string;
  start: number;
  end?: number;
  state: 'running' | 'cached' | 'done' | 'error';
  reason?: string;
  logs: string[];
  /**
   * Byte progress of its parts (layers pulled or pushed, a big COPY, an archive written),
   * by status id; `total` is unknown while an archive is still being written.
   */
  bytes: Map<string, { current: number; total?: number }>;
}

const LOG_LINES = 6;

export function ttyRenderer(out: NodeJS.WritableStream & { columns?: number }): ProgressRenderer {
  const rows = new Map<number, Row>();
  let drawn = 0;
  const width = () => Math.max(40, (out.columns ?? 100) - 1);
  const clip = (s: string) => (s.length > width() ? `${s.slice(0, width() - 1)}…` : s);
  const started = Date.now();

  const erase = () => {
    if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const line = (r: Row, now: number) => {
    const secs = (((r.end ?? now) - r.start) / 1000).toFixed(1);
    let mark = r.state === 'cached' ? 'CACHED' : r.state === 'error' ? 'ERROR' : `${secs}s`;
    if (r.bytes.size > 0) {
      let cur = 0;
      let total: number | undefined = 0;
      for (const b of r.bytes.values()) {
        cur += b.current;
        total = total === undefined || b.total === undefined ? undefined : total + b.total;
      }
      mark += total === undefined ? `  ${humanSize(cur)}` : `  ${humanSize(cur)} / ${humanSize(total)}`;
    }
    const color =
      r.state === 'cached'
        ? '\x1b[36m'
        : r.state === 'error'
          ? '\x1b[31m'
          : r.state === 'done'
            ? '\x1b[34m'
            : '\x1b[33m';
    // Clip the visible text, then colour it: escape codes take no columns.
    const text = clip(` => ${r.name}  ${mark}${r.reason ? `  (${r.reason})` : ''}`);
    return `${color}${text}\x1b[0m`;
  };
  const draw = () => {
    erase();
    const now = Date.now();
    const lines = [`\x1b[1m[+] Building ${((now - started) / 1000).toFixed(1)}s\x1b[0m`];
    for (const r of rows.values()) {
      if (r.state !== 'running') continue;
      lines.push(line(r, now));
      for (const l of r.logs.slice(-LOG_LINES)) lines.push(`\x1b[2m${clip(`    ${l}`)}\x1b[0m`);
    }
    out.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const finish = (r: Row) => {
    erase();
    out.write(`${line(r, Date.now())}\n`);
    if (r.state === 'error') for (const l of r.logs.slice(-10)) out.write(`    ${l}\n`);
    draw();
  };
  const timer = setInterval(draw, 100);
  timer.unref();

  const sink = (e: BuildEvent) => {
    switch (e.type) {
      case 'vertex-start':
        rows.set(e.id, {
          id: e.id,
          name: e.name,
          start: e.time,
          state: 'running',
          logs: [],
          bytes: new Map(),
        });
        break;
      case 'vertex-cached': {
        const r: Row = {
          id: e.id,
          name: e.name,
          start: Date.now(),
          state: 'cached',
          reason: e.decision?.reason,
          logs: [],
          bytes: new Map(),
        };
        rows.set(e.id, r);
        finish(r);
        break;
      }
      case 'vertex-status': {
        const r = rows.get(e.id);
        if (r && e.statusId !== undefined && (e.total !== undefined || e.current !== undefined))
          r.bytes.set(e.statusId, { current: e.current ?? 0, total: e.total });
        break;
      }
      case 'vertex-decision': {
        const r = rows.get(e.id);
        if (r) r.reason = e.decision.reason;
        break;
      }
      case 'vertex-log': {
        const r = rows.get(e.id);
        if (r)
          r.logs.push(
            ...e.data
              .toString()
              .split('\n')
              .filter((l) => l.length > 0),
          );
        if (r && r.logs.length > 50) r.logs.splice(0, r.logs.length - 50);
        break;
      }
      case 'vertex-done':
      case 'vertex-error': {
        const r = rows.get(e.id);
        if (!r) break;
        r.end = e.time;
        r.state = e.type === 'vertex-done' ? 'done' : 'error';
        if (e.type === 'vertex-error') r.logs.push(`ERROR: ${e.message}`);
        finish(r);
        break;
      }
      case 'warning':
        erase();
        out.write(`\x1b[33mWARNING:\x1b[0m ${e.message}\n`);
        draw();
        break;
      case 'info':
        erase();
        out.write(`${e.message}\n`);
        draw();
        break;
      default:
        break;
    }
  };
  let closed = false;
  return {
    sink,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      erase();
      out.write(`\x1b[1m[+] Building ${((Date.now() - started) / 1000).toFixed(1)}s done\x1b[0m\n`);
    },
  };
}
