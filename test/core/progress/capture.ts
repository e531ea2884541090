/** A writable that keeps what a renderer writes, shaped like a terminal `columns` wide. */
import { Writable } from 'node:stream';

export function capture(columns = 120): { out: Writable & { columns?: number }; text: () => string } {
  let text = '';
  const out = new Writable({
    write(c, _e, cb) {
      text += c.toString();
      cb();
    },
  }) as Writable & { columns?: number };
  out.columns = columns;
  return { out, text: () => text };
}
