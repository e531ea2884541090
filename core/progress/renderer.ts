import type { ProgressRenderer } from './events.js';
import { plainRenderer } from './plain-renderer.js';
import { rawJsonRenderer } from './rawjson-renderer.js';
import { ttyRenderer } from './tty-renderer.js';

export type ProgressMode = 'auto' | 'plain' | 'tty' | 'quiet' | 'rawjson';

/** `auto` is tty on a terminal, plain otherwise, as in `docker build`. */
export function makeRenderer(
  mode: ProgressMode,
  out: NodeJS.WritableStream & { isTTY?: boolean },
): ProgressRenderer {
  const m = mode === 'auto' ? (out.isTTY ? 'tty' : 'plain') : mode;
  if (m === 'quiet') return { sink: () => {}, close() {} };
  if (m === 'tty') return ttyRenderer(out);
  if (m === 'rawjson') return rawJsonRenderer(out);
  return plainRenderer(out);
}
