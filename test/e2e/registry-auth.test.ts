/**
 * Auth against Debian's docker-registry: htpasswd (Basic) and token auth behind a token
 * server written in the test (self-signed cert from openssl, RS256 JWTs). Credentials come
 * from a Docker config file written by writeCredentials, as `strata login` writes it.
 */
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentials } from '../../core/registry/credentials.js';
import { pullImage } from '../../core/registry/pull-image.js';
import { pushImage } from '../../core/registry/push-image.js';
import { Store } from '../../store/index.js';
import { makeBusyboxRootfs } from './helpers/busybox-rootfs.js';
import { type RunningRegistry, startRegistry, useTokenRegistry } from './helpers/registry.js';
import { makeStoreImage } from './helpers/store-image.js';
import { useTempDirs } from './helpers/temp-dirs.js';

const tempDir = useTempDirs();
let source: Store;
let image: Awaited<ReturnType<typeof makeStoreImage>>;

beforeAll(async () => {
  source = await Store.open(await tempDir());
  image = await makeStoreImage(source, [makeBusyboxRootfs]);
});

async function dockerEnv(host: string, user: string, password: string): Promise<NodeJS.ProcessEnv> {
  const env = { DOCKER_CONFIG: await tempDir('strata-docker-config-') };
  const path = await writeCredentials(host, { username: user, password }, env);
  expect((await stat(path)).mode & 0o777).toBe(0o600);
  return env;
}

async function roundTrip(host: string, env: NodeJS.ProcessEnv, repo: string): Promise<void> {
  const ref = `${host}/${repo}:v1`;
  const pushed = await pushImage(source, { config: image.config }, ref, { env });
  const dest = await Store.open(await tempDir());
  const pulled = await pullImage(dest, ref, { env });
  expect(pulled.config).toBe(image.config);
  expect(pulled.manifest.digest).toBe(pushed.manifest.digest);
  expect((await dest.getLayer(image.chainIds[0]))?.diffId).toBe(image.diffIds[0]);
}

describe('htpasswd (basic auth)', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: { type: 'htpasswd', users: { alice: 's3cret' } } });
  });
  afterAll(async () => registry?.stop());

  it('pushes and pulls with stored credentials', async () => {
    await roundTrip(registry.host, await dockerEnv(registry.host, 'alice', 's3cret'), 'basic/busybox');
  });

  it('refuses without credentials, and with a wrong password, clearly and without looping', async () => {
    const ref = `${registry.host}/basic/denied:v1`;
    const emptyEnv = { DOCKER_CONFIG: await tempDir() };
    await expect(pushImage(source, { config: image.config }, ref, { env: emptyEnv })).rejects.toThrow(
      /wants a user and password; run strata login/,
    );
    const bad = await dockerEnv(registry.host, 'alice', 'wrong');
    await expect(pushImage(source, { config: image.config }, ref, { env: bad })).rejects.toMatchObject({
      code: 'E_REGISTRY',
      message: expect.stringMatching(/refused \(401\) with the credentials/),
    });
  });
});

describe('token auth', () => {
  const live = useTokenRegistry({ bob: 'hunter2' });

  it('gets scoped tokens with the stored credentials and round-trips an image', async () => {
    live.tokens.requests.length = 0;
    await roundTrip(live.registry.host, await dockerEnv(live.registry.host, 'bob', 'hunter2'), 'tok/busybox');
    const scopes = live.tokens.requests.flatMap((r) => r.scopes);
    expect(scopes).toContain('repository:tok/busybox:pull,push');
    expect(scopes).toContain('repository:tok/busybox:pull');
    expect(live.tokens.requests.every((r) => r.user === 'bob')).toBe(true);
    // Tokens are cached per scope: one request per scope set, not one per HTTP request.
    expect(live.tokens.requests.length).toBeLessThanOrEqual(4);
  });

  it('stops after one fresh token is refused (anonymous gets a token with no access)', async () => {
    live.tokens.requests.length = 0;
    const dest = await Store.open(await tempDir());
    await expect(
      pullImage(dest, `${live.registry.host}/tok/busybox:v1`, { env: { DOCKER_CONFIG: await tempDir() } }),
    ).rejects.toThrow(/refused \(401\) with a freshly issued token/);
    expect(live.tokens.requests.length).toBe(1);
    expect(await dest.listRefs()).toEqual([]);
  });

  it('reports a wrong password from the token server', async () => {
    const env = await dockerEnv(live.registry.host, 'bob', 'nope');
    await expect(
      pullImage(await Store.open(await tempDir()), `${live.registry.host}/tok/busybox:v1`, { env }),
    ).rejects.toThrow(/token server refused the credentials for bob/);
  });
});
