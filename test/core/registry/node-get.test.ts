import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { bodyStream, discardBody } from '../../../core/registry/http-body.js';
import { nodeGet, StreamedResponse } from '../../../core/registry/node-get.js';
import { isRetryable } from '../../../core/registry/registry-error.js';

const servers: Server[] = [];
const netServers: NetServer[] = [];
afterEach(async () => {
  const http = servers.splice(0);
  for (const s of http) s.closeAllConnections();
  await Promise.all([...http, ...netServers.splice(0)].map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function collect(resp: Response): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of bodyStream(resp)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

it('streams the body as a Node stream with fetch-shaped status and headers', async () => {
  const body = Buffer.alloc(3 * 1024 * 1024, 7);
  const base = await serve((req, res) => {
    res.writeHead(206, { 'content-type': 'application/octet-stream', 'x-asked': req.headers.range ?? '' });
    res.end(body);
  });
  const resp = await nodeGet(`${base}/blob`, { headers: { range: 'bytes=5-' } });
  expect(resp).toBeInstanceOf(StreamedResponse);
  expect(resp.status).toBe(206);
  expect(resp.headers.get('x-asked')).toBe('bytes=5-');
  expect((await collect(resp)).equals(body)).toBe(true);
});

it('keeps a response whose reason phrase Response would refuse', async () => {
  // node:http will not send a control character in a reason phrase; a raw server does.
  const raw = createNetServer((c) =>
    c.once('data', () => c.end('HTTP/1.1 200 odd\x01phrase\r\nContent-Length: 2\r\n\r\n{}')),
  );
  netServers.push(raw);
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const resp = await nodeGet(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/v2/`);
  expect(resp.status).toBe(200);
  expect(resp.statusText).toBe('');
  expect((await collect(resp)).toString()).toBe('{}');
});

it('a connection cut mid-body fails the read with a retryable error; discardBody releases a body', async () => {
  const base = await serve((req, res) => {
    res.writeHead(200, { 'content-length': String(1 << 20) });
    if (req.url === '/cut') res.write(Buffer.alloc(1000), () => res.socket?.destroy());
    else res.end(Buffer.alloc(1 << 20));
  });
  const cut = await nodeGet(`${base}/cut`);
  const err = await collect(cut).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).not.toBeNull();
  expect(isRetryable(err)).toBe(true);
  const whole = await nodeGet(`${base}/whole`);
  await discardBody(whole);
  expect((whole as StreamedResponse).nodeBody.destroyed).toBe(true);
});

it('refuses a request body or a method other than GET/HEAD', async () => {
  await expect(nodeGet('http://127.0.0.1:9/', { method: 'PUT' })).rejects.toThrow(/only bodiless GET\/HEAD/);
  await expect(nodeGet('http://127.0.0.1:9/', { body: 'x' })).rejects.toThrow(/only bodiless GET\/HEAD/);
});
