/**
 * The suite's stand-in for BuildKit's httpserver.NewTestServer: `GET /<case>/<name>` answers
 * with the case's scratch file, an ETag of its content and a fixed Last-Modified, so ADD
 * <url> cases run offline. `/<case>/` (no name) serves the scratch file `index`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

/** The Last-Modified every response carries (BuildKit sets the file's mtime from it). */
export const SERVED_MTIME = new Date('2024-06-01T12:00:00Z');

export function serveScratch(workDir: () => string): Server {
  return createServer((req, res) => {
    const m = /^\/(\d+)\/([A-Za-z0-9._-]*)$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    readFile(join(workDir(), m[1], 'tmp', m[2] === '' ? 'index' : m[2])).then(
      (body) => {
        res.writeHead(200, {
          'content-length': body.length,
          etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`,
          'last-modified': SERVED_MTIME.toUTCString(),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(404).end(),
    );
  });
}
