/**
 * Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 for e2e tests: storage in a
 * temp dir, a free port, and optionally htpasswd (bcrypt via bcryptjs, since apache2-utils'
 * htpasswd is not installed) or token auth. startTokenServer() is a small token service for
 * the latter: a self-signed cert made with the openssl CLI, RS256 JWTs with the cert in
 * `x5c`, every requested action granted to a known user and none to anyone else.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll } from 'vitest';
import { requireTool } from './require.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export type RegistryAuth =
  | { type: 'htpasswd'; users: Record<string, string> }
  | { type: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

export interface RunningRegistry {
  /** `127.0.0.1:PORT`, the registry part of references. */
  host: string;
  dir: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** `tls`: serve https only, with this PEM certificate and key. */
export async function startRegistry(
  opts: { auth?: RegistryAuth; tls?: { certificate: string; key: string } } = {},
): Promise<RunningRegistry> {
  requireTool(REGISTRY_BIN);
  const dir = await mkdtemp(join(tmpdir(), 'strata-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (opts.tls) lines.push('  tls:', `    certificate: ${opts.tls.certificate}`, `    key: ${opts.tls.key}`);
  const auth = opts.auth;
  if (auth?.type === 'htpasswd') {
    const entries = Object.entries(auth.users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 5)}`);
    await writeFile(join(dir, 'htpasswd'), `${entries.join('\n')}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: strata-test', `    path: ${join(dir, 'htpasswd')}`);
  } else if (auth?.type === 'token') {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${auth.realm}`,
      `    service: ${auth.service}`,
      `    issuer: ${auth.issuer}`,
      `    rootcertbundle: ${auth.rootCertBundle}`,
    );
  }
  await writeFile(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const child = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const stop = async () => {
    await killChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`docker-registry exited early (${child.exitCode ?? child.signalCode}): ${output}`);
    }
    try {
      if (opts.tls ? await answersTls(port) : await answersHttp(port)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 20 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host: `127.0.0.1:${port}`, dir, stop };
}

async function answersHttp(port: number): Promise<boolean> {
  const r = await fetch(`http://127.0.0.1:${port}/v2/`);
  await r.body?.cancel();
  return r.status === 200 || r.status === 401;
}

/** True once the port completes a TLS handshake (whoever signed the certificate). */
function answersTls(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', reject);
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  /**
   * Token requests seen, with the scopes asked and the user (undefined = anonymous);
   * `grant` is `refresh_token` for an OAuth2 POST with an identity token.
   */
  requests: { user: string | undefined; scopes: string[]; grant?: string }[];
  stop(): Promise<void>;
}

/**
 * `refreshTokens`: identity tokens (OAuth2 refresh tokens) the server accepts in a POST with
 * `grant_type=refresh_token`, and the user each stands for (Docker's identity-token flow).
 */
export async function startTokenServer(
  users: Record<string, string>,
  refreshTokens: Record<string, string> = {},
): Promise<TokenServer> {
  const openssl = requireTool('openssl');
  const dir = await mkdtemp(join(tmpdir(), 'strata-token-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=strata-test-token',
    ],
    { stdio: 'pipe' },
  );
  const key = createPrivateKey(await readFile(keyPath));
  const certDer = (await readFile(certPath, 'utf8')).replace(/-----[A-Z ]+-----|\s/g, '');
  const service = 'strata-test-registry';
  const issuer = 'strata-test-issuer';
  const requests: TokenServer['requests'] = [];
  const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let scopes = url.searchParams.getAll('scope');
    let user: string | undefined;
    const auth = req.headers.authorization;
    if (req.method === 'POST') {
      let body = '';
      for await (const c of req) body += c;
      const form = new URLSearchParams(body);
      scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
      const rt = form.get('refresh_token') ?? '';
      if (form.get('grant_type') !== 'refresh_token' || refreshTokens[rt] === undefined) {
        requests.push({ user: `!${rt}`, scopes, grant: form.get('grant_type') ?? '' });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad refresh token' }] }));
        return;
      }
      user = refreshTokens[rt];
      requests.push({ user, scopes, grant: 'refresh_token' });
    } else if (auth?.startsWith('Basic ')) {
      const [u, ...rest] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (users[u] === undefined || users[u] !== rest.join(':')) {
        requests.push({ user: `!${u}`, scopes });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
        return;
      }
      user = u;
    }
    if (req.method !== 'POST') requests.push({ user, scopes });
    const access =
      user === undefined
        ? []
        : scopes.flatMap((s) => {
            const [type, ...mid] = s.split(':');
            const actions = mid.pop() ?? '';
            return type === 'repository' ? [{ type, name: mid.join(':'), actions: actions.split(',') }] : [];
          });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer] };
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const token = `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    // OAuth2 answers name the token access_token, as Docker Hub's does.
    const answer = req.method === 'POST' ? { access_token: token } : { token };
    res.end(JSON.stringify({ ...answer, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A token server and a registry that trusts it, started before the enclosing tests and
 * stopped after them (call at the top of a describe block). `refreshTokens` as for
 * startTokenServer.
 */
export function useTokenRegistry(
  users: Record<string, string>,
  refreshTokens: Record<string, string> = {},
): { tokens: TokenServer; registry: RunningRegistry } {
  const live = {} as { tokens: TokenServer; registry: RunningRegistry };
  beforeAll(async () => {
    live.tokens = await startTokenServer(users, refreshTokens);
    live.registry = await startRegistry({
      auth: {
        type: 'token',
        realm: live.tokens.realm,
        service: live.tokens.service,
        issuer: live.tokens.issuer,
        rootCertBundle: live.tokens.certPath,
      },
    });
  });
  afterAll(async () => {
    await live.registry?.stop();
    await live.tokens?.stop();
  });
  return live;
}
