/**
 * BuildKit's `--progress=plain` format: `#N name`, `#N <secs> <log line>`, `#N CACHED`,
 * `#N DONE 0.1s`, `#N ERROR: msg`, with the last 10 log lines of a failed vertex reprinted
 * between `------` markers. strata adds one line per step BuildKit never prints:
 * `#N CACHE HIT: <why>` / `#N CACHE MISS: <why>`.
 */
import type { BuildEvent, ProgressRenderer } from './events.js';
import { humanSize } from './human-size.js';

interface VertexState {
  start: number;
  partial: string;
  tail: string[];
  name: string;
}

const TAIL_LINES = 10;

export function formatLogTime(seconds: number): string {
  if (seconds < 10) return seconds.toFixed(3);
  if (seconds < 100) return seconds.toFixed(2);
  return seconds.toFixed(1);
}

export function plainRenderer(out: NodeJS.WritableStream): ProgressRenderer {
  const vertices = new Map<number, VertexState>();
  let current = -1;
  const write = (s: string) => out.write(s);
  const header = (id: number, name: string) => {
    if (current !== id) {
      if (current !== -1) write('\n');
      current = id;
    }
    void name;
  };
  const flushPartial = (id: number, v: VertexState, now: number) => {
    if (v.partial.length > 0) {
      emitLine(id, v, v.partial, now);
      v.partial = '';
    }
  };
  const emitLine = (id: number, v: VertexState, line: string, now: number) => {
    write(`#${id} ${formatLogTime((now - v.start) / 1000)} ${line}\n`);
    v.tail.push(line);
    if (v.tail.length > TAIL_LINES) v.tail.shift();
  };
  const sink = (e: BuildEvent) => {
    switch (e.type) {
      case 'vertex-start': {
        vertices.set(e.id, { start: e.time, partial: '', tail: [], name: e.name });
        header(e.id, e.name);
        write(`#${e.id} ${e.name}\n`);
        break;
      }
      case 'vertex-cached': {
        header(e.id, e.name);
        write(`#${e.id} ${e.name}\n`);
        if (e.decision) write(`#${e.id} CACHE HIT: ${e.decision.reason}\n`);
        write(`#${e.id} CACHED\n`);
        current = -1;
        write('\n');
        break;
      }
      case 'vertex-decision': {
        header(e.id, '');
        write(`#${e.id} ${e.decision.hit ? 'CACHE HIT' : 'CACHE MISS'}: ${e.decision.reason}\n`);
        break;
      }
      case 'vertex-log': {
        const v = vertices.get(e.id);
        if (!v) break;
        header(e.id, v.name);
        const text = v.partial + e.data.toString();
        const lines = text.split('\n');
        v.partial = lines.pop() ?? '';
        for (const line of lines) emitLine(e.id, v, line, e.time);
        break;
      }
      case 'vertex-status': {
        // Byte progress: one line per part when it is done (`#2 sha256:... 3.15MB / 3.15MB
        // done`, as BuildKit's plain view ends it), not one per update.
        if (e.statusId !== undefined && !e.completed) break;
        header(e.id, '');
        const bytes =
          e.total === undefined ? '' : ` ${humanSize(e.current ?? 0)} / ${humanSize(e.total)} done`;
        write(`#${e.id} ${e.text}${bytes}\n`);
        break;
      }
      case 'vertex-done': {
        const v = vertices.get(e.id);
        if (v) flushPartial(e.id, v, e.time);
        header(e.id, '');
        write(`#${e.id} DONE ${(((e.time - (v?.start ?? e.time)) / 1000) as number).toFixed(1)}s\n`);
        current = -1;
        write('\n');
        break;
      }
      case 'vertex-error': {
        const v = vertices.get(e.id);
        if (v) flushPartial(e.id, v, e.time);
        header(e.id, '');
        write(`#${e.id} ERROR: ${e.message}\n`);
        if (v && v.tail.length > 0) {
          write(`------\n > ${v.name}:\n`);
          for (const line of v.tail) write(`${line}\n`);
          write('------\n');
        }
        current = -1;
        break;
      }
      case 'warning':
        write(`WARNING: ${e.message}\n`);
        break;
      case 'info':
        write(`${e.message}\n`);
        break;
    }
  };
  return { sink, close() {} };
}
