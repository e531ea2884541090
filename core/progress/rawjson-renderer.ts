/**
 * `--progress=rawjson`: BuildKit's machine-readable stream, as `buildctl build
 * --progress=rawjson` and `docker buildx build --progress=rawjson` print it: one JSON
 * SolveStatus per line (github.com/moby/buildkit client/graph.go, v0.14 json tags):
 *
 *     {"vertexes":[{"digest","inputs","name","started","completed","cached","error"}],
 *      "statuses":[{"id","vertex","name","total","current","timestamp","started","completed"}],
 *      "logs":[{"vertex","stream","data","timestamp"}],
 *      "warnings":[{"vertex","level","short","detail","url"}]}
 *
 * Log data and warning texts are base64 (Go encodes []byte so); stream 1 is stdout, 2 stderr;
 * times are RFC 3339. Where strata differs, by necessity:
 * - A vertex digest is BuildKit's LLB op digest; strata has no LLB, so it is the sha256 of
 *   `strata:<step number>:<label>`: stable within a build, the same for the same step label.
 * - strata's cache decision per step (the `#N CACHE MISS: ...` line of plain) is a status of
 *   the vertex with id `cache`, named `CACHE HIT: <why>` / `CACHE MISS: <why>`.
 * - Messages outside steps (pulls, cache import/export) are completed vertexes named by the
 *   message, as BuildKit shows its own such work (`exporting to image`).
 */
import { createHash } from 'node:crypto';
import type { BuildEvent, ProgressRenderer } from './events.js';

interface VertexJson {
  digest: string;
  name: string;
  started?: string;
  completed?: string;
  cached?: boolean;
  error?: string;
}

export function vertexDigest(id: number | string, name: string): string {
  return `sha256:${createHash('sha256').update(`strata:${id}:${name}`).digest('hex')}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function rawJsonRenderer(out: NodeJS.WritableStream): ProgressRenderer {
  const vertices = new Map<number, VertexJson>();
  let infos = 0;
  const emit = (status: object) => out.write(`${JSON.stringify(status)}\n`);
  const vertex = (id: number) => vertices.get(id) ?? { digest: vertexDigest(id, ''), name: '' };
  const sink = (e: BuildEvent) => {
    const now = Date.now();
    switch (e.type) {
      case 'vertex-start': {
        const v = { digest: vertexDigest(e.id, e.name), name: e.name, started: iso(e.time) };
        vertices.set(e.id, v);
        emit({ vertexes: [v] });
        break;
      }
      case 'vertex-cached': {
        const v = {
          digest: vertexDigest(e.id, e.name),
          name: e.name,
          started: iso(now),
          completed: iso(now),
          cached: true,
        };
        vertices.set(e.id, v);
        emit({ vertexes: [v] });
        if (e.decision) emit({ statuses: [decisionStatus(v, `CACHE HIT: ${e.decision.reason}`, now)] });
        break;
      }
      case 'vertex-decision': {
        const text = `${e.decision.hit ? 'CACHE HIT' : 'CACHE MISS'}: ${e.decision.reason}`;
        emit({ statuses: [decisionStatus(vertex(e.id), text, now)] });
        break;
      }
      case 'vertex-log': {
        const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
        emit({
          logs: [
            {
              vertex: vertex(e.id).digest,
              stream: e.stream === 'stdout' ? 1 : 2,
              data: data.toString('base64'),
              timestamp: iso(e.time),
            },
          ],
        });
        break;
      }
      case 'vertex-status':
        emit({
          statuses: [
            {
              id: e.statusId ?? e.text,
              vertex: vertex(e.id).digest,
              name: e.text,
              ...(e.total !== undefined ? { total: e.total } : {}),
              current: e.current ?? 0,
              timestamp: iso(now),
              ...(e.completed ? { completed: iso(now) } : {}),
            },
          ],
        });
        break;
      case 'vertex-done':
      case 'vertex-error': {
        const v = { ...vertex(e.id), completed: iso(e.time) };
        if (e.type === 'vertex-error') v.error = e.message;
        vertices.set(e.id, v);
        emit({ vertexes: [v] });
        break;
      }
      case 'warning':
        emit({ warnings: [{ level: 1, short: Buffer.from(e.message).toString('base64') }] });
        break;
      case 'info': {
        const name = e.message;
        const t = iso(now);
        emit({
          vertexes: [{ digest: vertexDigest(`info-${++infos}`, name), name, started: t, completed: t }],
        });
        break;
      }
    }
  };
  return { sink, close() {} };
}

function decisionStatus(v: VertexJson, text: string, now: number) {
  const t = iso(now);
  return { id: 'cache', vertex: v.digest, name: text, current: 0, timestamp: t, started: t, completed: t };
}
