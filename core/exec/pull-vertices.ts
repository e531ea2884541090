/**
 * The base-image pulls of a build as progress vertices: `#1 pulling docker.io/library/node:22
 * (node:22)` with byte progress per layer (a status per layer digest, as BuildKit shows a
 * FROM's layers), done when the image is stored. They come before the steps, which the
 * executor numbers after them (ExecDeps.firstVertex). A pull once the steps run (rare: an
 * image only a step names) stays plain `info` lines, so vertex numbers never collide.
 */
import type { ProgressSink } from '../progress/events.js';
import type { PullProgress } from '../registry/pull-image.js';

export class PullVertices {
  /** Vertices used so far. */
  count = 0;
  /** Set once the steps run: later pulls are told in plain lines. */
  executing = false;
  #current: { id: number; done: boolean } | undefined;
  readonly #progress: ProgressSink;

  constructor(progress: ProgressSink) {
    this.#progress = progress;
  }

  /** The resolveImage callbacks for one lookup of `ref`; call end() when it returns or throws. */
  options(ref: string): { onPull(message: string): void; onPullProgress(e: PullProgress): void } {
    return {
      onPull: (message) => {
        if (this.executing || !message.startsWith('pulling ')) this.#progress({ type: 'info', message });
      },
      onPullProgress: (e) => {
        if (this.executing) return;
        if (e.type === 'resolved') {
          this.#current = { id: ++this.count, done: false };
          const name = `pulling ${e.ref}${e.ref === ref ? '' : ` (${ref})`}`;
          this.#progress({ type: 'vertex-start', id: this.#current.id, name, time: Date.now() });
          return;
        }
        const v = this.#current;
        if (v === undefined) return;
        if (e.type === 'layer')
          this.#progress({
            type: 'vertex-status',
            id: v.id,
            text: e.digest,
            statusId: e.digest,
            current: e.done,
            total: e.total,
            completed: e.status !== 'downloading',
          });
        else {
          v.done = true;
          this.#progress({ type: 'vertex-done', id: v.id, time: Date.now() });
        }
      },
    };
  }

  /** Ends the vertex of the lookup that just returned: an error if its pull never finished. */
  end(): void {
    const v = this.#current;
    this.#current = undefined;
    if (v && !v.done)
      this.#progress({
        type: 'vertex-error',
        id: v.id,
        message: 'the pull did not finish',
        time: Date.now(),
      });
  }
}
