import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, expect, it } from 'vitest';
import { speaksTls } from '../../../core/registry/speaks-tls.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(s: Server): Promise<string> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(s.address() as AddressInfo).port}`;
}

it('is true for a TLS server whose certificate nothing trusts (trust is not its question)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-speaks-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const key = await readFile(join(dir, 'key.pem'));
    const cert = await readFile(join(dir, 'cert.pem'));
    const host = await listen(createTlsServer({ key, cert }, (sock) => sock.end()));
    expect(await speaksTls(host)).toBe(true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it('is false for a plain http server, a server that hangs up, and a closed port', async () => {
  const http = await listen(createHttpServer((_req, res) => res.end('{}')));
  expect(await speaksTls(http)).toBe(false);
  const rude = await listen(createNetServer((sock) => sock.destroy()));
  expect(await speaksTls(rude)).toBe(false);
  const closed = await listen(createNetServer());
  await new Promise((r) => servers.pop()?.close(r));
  expect(await speaksTls(closed)).toBe(false);
});
