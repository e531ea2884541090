/**
 * The last lines a failed RUN printed, for its error message. Output arrives in chunks that
 * end anywhere (npm writes `npm`, ` `, `ERR!` as three writes), so lines are joined per
 * stream before they count: a chunk without a newline waits for the rest of its line, and
 * bytes of one UTF-8 character split across chunks are decoded together. Bounded: at most
 * `maxLines` lines of at most `maxLineBytes` characters each (a longer line keeps its start
 * and says it was cut), so a step that prints one endless line costs no more memory.
 */
import { StringDecoder } from 'node:string_decoder';

export class OutputTail {
  readonly #lines: string[] = [];
  readonly #partial = new Map<string, { decoder: StringDecoder; text: string; cut: boolean }>();

  constructor(
    readonly maxLines = 20,
    readonly maxLineBytes = 4096,
  ) {}

  /** Adds a chunk of `stream` (stdout and stderr are joined into lines separately). */
  push(stream: string, chunk: Buffer | string): void {
    let p = this.#partial.get(stream);
    if (p === undefined) {
      p = { decoder: new StringDecoder('utf8'), text: '', cut: false };
      this.#partial.set(stream, p);
    }
    const text = typeof chunk === 'string' ? chunk : p.decoder.write(chunk);
    const parts = text.split('\n');
    for (let i = 0; i < parts.length; i++) {
      this.#append(p, parts[i]);
      if (i < parts.length - 1) this.#endLine(p);
    }
  }

  /** The whole lines so far, then what is still waiting for its newline; oldest first. */
  lines(): string[] {
    const out = [...this.#lines];
    for (const p of this.#partial.values()) {
      const rest = p.text + p.decoder.end();
      p.decoder = new StringDecoder('utf8');
      p.text = rest;
      if (rest.trim() !== '') out.push(p.cut ? `${rest} [line cut]` : rest);
    }
    return out.slice(-this.maxLines);
  }

  #append(p: { text: string; cut: boolean }, s: string): void {
    const room = this.maxLineBytes - p.text.length;
    if (s.length > room) {
      p.text += s.slice(0, Math.max(0, room));
      p.cut = true;
    } else p.text += s;
  }

  #endLine(p: { text: string; cut: boolean }): void {
    const line = p.text.replace(/\r$/, '');
    if (line.trim() !== '') {
      this.#lines.push(p.cut ? `${line} [line cut]` : line);
      if (this.#lines.length > this.maxLines) this.#lines.shift();
    }
    p.text = '';
    p.cut = false;
  }
}
