/** The small pieces of core/registry: challenge parsing, platforms, credentials, http policy. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCredentials, writeCredentials } from '../../../core/registry/credentials.js';
import { parsePlatform, selectPlatform } from '../../../core/registry/platform.js';
import { RegistryClient } from '../../../core/registry/registry-client.js';
import { parseWwwAuthenticate } from '../../../core/registry/www-authenticate.js';
import { FakeRegistry, serveBytes } from './fake-registry.js';

describe('parseWwwAuthenticate', () => {
  it('keeps commas inside quoted values and lower-cases schemes and names', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.example/token",Service="reg",scope="repository:a/b:pull,push"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.example/token', service: 'reg', scope: 'repository:a/b:pull,push' },
      },
    ]);
  });
  it('parses escapes, unquoted values and several challenges', () => {
    expect(parseWwwAuthenticate('Basic realm="a \\"b\\"", Bearer realm=x,error=invalid_token')).toEqual([
      { scheme: 'basic', params: { realm: 'a "b"' } },
      { scheme: 'bearer', params: { realm: 'x', error: 'invalid_token' } },
    ]);
    expect(parseWwwAuthenticate('')).toEqual([]);
  });
});

describe('platforms', () => {
  const d = (p: object, n: string) => ({
    mediaType: 'm',
    digest: `sha256:${n.repeat(64)}` as const,
    size: 1,
    platform: p as never,
  });
  const index = [
    d({ os: 'unknown', architecture: 'unknown' }, 'a'),
    d({ os: 'linux', architecture: 'arm', variant: 'v6' }, 'b'),
    d({ os: 'linux', architecture: 'arm', variant: 'v7' }, 'c'),
    d({ os: 'linux', architecture: 'arm64' }, 'd'),
    d({ os: 'linux', architecture: 'amd64' }, 'e'),
  ];
  it('normalises aliases and default variants', () => {
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('aarch64')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('linux/armhf')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(() => parsePlatform('linux//')).toThrow(/expected os\/arch/);
  });
  it('picks exact matches, else the best lower variant, never unknown/unknown', () => {
    expect(selectPlatform(index, parsePlatform('linux/amd64'))?.digest).toBe(index[4].digest);
    expect(selectPlatform(index, parsePlatform('linux/arm64/v8'))?.digest).toBe(index[3].digest);
    expect(selectPlatform(index, parsePlatform('linux/arm/v7'))?.digest).toBe(index[2].digest);
    expect(selectPlatform(index, parsePlatform('linux/arm/v8'))?.digest).toBe(index[2].digest);
    expect(selectPlatform(index.slice(0, 2), parsePlatform('linux/arm/v7'))?.digest).toBe(index[1].digest);
    expect(selectPlatform(index, parsePlatform('linux/arm/v5'))).toBeUndefined();
    expect(selectPlatform(index.slice(0, 1), parsePlatform('linux/amd64'))).toBeUndefined();
  });
});

describe('credentials in the Docker config file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-creds-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('writes auths with mode 0600, keeps other fields, and reads any spelling of the host', async () => {
    const env = { DOCKER_CONFIG: dir };
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ psFormat: 'table {{.ID}}', auths: { 'other:1': { auth: 'eDp5' } } }),
    );
    await writeCredentials('https://localhost:5000/v2/', { username: 'u', password: 'p:w' }, env);
    await writeCredentials('docker.io', { username: 'hub', password: 'x' }, env);
    const file = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(file.psFormat).toBe('table {{.ID}}');
    expect(Object.keys(file.auths).sort()).toEqual([
      'https://index.docker.io/v1/',
      'localhost:5000',
      'other:1',
    ]);
    expect((await stat(join(dir, 'config.json'))).mode & 0o777).toBe(0o600);
    expect(await readCredentials('localhost:5000', env)).toEqual({ username: 'u', password: 'p:w' });
    expect(await readCredentials('index.docker.io', env)).toEqual({ username: 'hub', password: 'x' });
    expect(await readCredentials('other:1', env)).toEqual({ username: 'x', password: 'y' });
    expect(await readCredentials('nowhere:1', env)).toBeUndefined();
    expect(await readCredentials('x', { DOCKER_CONFIG: join(dir, 'absent') })).toBeUndefined();
  });
});

describe('RegistryClient http policy', () => {
  it('allows plain http only for loopback and listed hosts', async () => {
    const c = await RegistryClient.create('registry.example.com:5000', {
      credentials: null,
      insecureRegistries: ['lan.box'],
    });
    expect(c.allowsHttp('registry.example.com:5000')).toBe(false);
    expect(c.allowsHttp('lan.box:8080')).toBe(true);
    expect(c.allowsHttp('127.0.0.9:1')).toBe(true);
    expect(c.allowsHttp('[::1]:5000')).toBe(true);
    expect(c.allowsHttp('localhost')).toBe(true);
    expect(await c.origin()).toBe('https://registry.example.com:5000');
    expect((await RegistryClient.create('docker.io', { credentials: null })).host).toBe(
      'registry-1.docker.io',
    );
  });

  it('drops Authorization on a redirect to another origin, and refuses http redirects elsewhere', async () => {
    const reg = await FakeRegistry.start();
    const blob = Buffer.from('cdn bytes');
    const seen: (string | undefined)[] = [];
    const cdn = createServer((req, res) => {
      seen.push(req.headers.authorization);
      serveBytes(req, res, blob);
    });
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', r));
    const cdnPort = (cdn.address() as { port: number }).port;
    reg.hook = (req, res, url) => {
      if (req.headers.authorization !== 'Basic dTpw') {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
        return true;
      }
      if (url.pathname.includes('/blobs/')) {
        const to = url.pathname.includes('evil')
          ? 'http://example.invalid/x'
          : `http://127.0.0.1:${cdnPort}/b`;
        res.writeHead(307, { location: to }).end();
        return true;
      }
      return false;
    };
    try {
      const client = await RegistryClient.create(reg.host, {
        credentials: { username: 'u', password: 'p' },
        retryDelayMs: 1,
      });
      const { sha256 } = await import('../../../core/oci/digest.js');
      const desc = { mediaType: 'application/octet-stream', digest: sha256(blob), size: blob.length };
      expect((await client.readBlob('r/x', desc)).toString()).toBe('cdn bytes');
      expect(seen).toEqual([undefined]);
      expect(reg.log.some((l) => l.headers.authorization === 'Basic dTpw')).toBe(true);
      await expect(client.readBlob('r/evil', desc)).rejects.toThrow(
        /refusing redirect to http:\/\/example.invalid \(not https\)/,
      );
    } finally {
      cdn.closeAllConnections();
      await new Promise((r) => cdn.close(r));
      await reg.stop();
    }
  });
});
