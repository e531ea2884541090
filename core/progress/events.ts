/**
 * One stream of build events; the plain, tty and quiet renderers all read it. The executor
 * only emits events and never formats text, so every view tells the same story.
 */
export type VertexStatus = 'running' | 'cached' | 'done' | 'error' | 'canceled';

export interface CacheDecision {
  hit: boolean;
  /** One line a person can read: "cache miss: COPY sources changed: index.js". */
  reason: string;
}

export type BuildEvent =
  | { type: 'vertex-start'; id: number; name: string; time: number }
  | { type: 'vertex-cached'; id: number; name: string; decision?: CacheDecision }
  | { type: 'vertex-decision'; id: number; decision: CacheDecision }
  | { type: 'vertex-log'; id: number; stream: 'stdout' | 'stderr'; data: Buffer | string; time: number }
  | {
      type: 'vertex-status';
      id: number;
      text: string;
      /**
       * Byte progress of one part of the vertex (a layer being pulled or pushed), as
       * BuildKit's VertexStatus: `statusId` names the part (its digest), `current` of `total`
       * bytes, `completed` once it is done.
       */
      statusId?: string;
      current?: number;
      total?: number;
      completed?: boolean;
    }
  | { type: 'vertex-done'; id: number; time: number }
  | { type: 'vertex-error'; id: number; message: string; time: number }
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string };

export type ProgressSink = (e: BuildEvent) => void;

/** A renderer consumes events and is closed once at the end of the build. */
export interface ProgressRenderer {
  sink: ProgressSink;
  close(): void;
}
