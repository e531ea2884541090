/**
 * A registry that speaks only https, with a certificate from a CA that Node does not know:
 * strata must refuse it with a clear error, and trust it once the CA is given the way
 * corporate-proxy users give theirs (NODE_EXTRA_CA_CERTS), both in-process (the deferred-CA
 * path of core/registry/tls-trust.ts) and through the `strata` launcher, which takes
 * NODE_EXTRA_CA_CERTS away from Node's start-up and hands it to that path.
 */
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adoptDeferredCa } from '../../core/registry/deferred-ca.js';
import { pullImage } from '../../core/registry/pull-image.js';
import { pushImage } from '../../core/registry/push-image.js';
import { Store } from '../../store/index.js';
import { makeBusyboxRootfs } from './helpers/busybox-rootfs.js';
import { type RunningRegistry, startRegistry } from './helpers/registry.js';
import { requireTool } from './helpers/require.js';
import { makeStoreImage } from './helpers/store-image.js';
import { useTempDirs } from './helpers/temp-dirs.js';

const run = promisify(execFile);
const tempDir = useTempDirs();
const LAUNCHER = join(process.cwd(), 'dist/cmd/strata');
let registry: RunningRegistry;
let caPath: string;
let source: Store;
let image: Awaited<ReturnType<typeof makeStoreImage>>;

beforeAll(async () => {
  const openssl = requireTool('openssl');
  const dir = await tempDir('strata-tls-');
  caPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  // Self-signed, so the certificate is its own CA; valid for the address the registry has.
  execFileSync(
    openssl,
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2'],
      ...['-keyout', keyPath, '-out', caPath, '-subj', '/CN=strata-test-registry'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1'],
    ],
    { stdio: 'pipe' },
  );
  registry = await startRegistry({ tls: { certificate: caPath, key: keyPath } });
  source = await Store.open(await tempDir());
  image = await makeStoreImage(source, [makeBusyboxRootfs]);
});
afterAll(async () => registry?.stop());

describe('a registry with a certificate from an unknown CA', () => {
  it('is refused with the reason, not retried over plain http', async () => {
    await expect(
      pushImage(source, { config: image.config }, `${registry.host}/tls/busybox:v1`, { env: {} }),
    ).rejects.toThrow(
      /TLS certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\); add its CA to NODE_EXTRA_CA_CERTS/,
    );
  });

  it('is trusted once its CA is handed over as the launcher does, for push and pull', async () => {
    const env: NodeJS.ProcessEnv = { STRATA_EXTRA_CA_CERTS: caPath };
    adoptDeferredCa(env);
    // The processes strata starts see the variable the user set.
    expect(env).toEqual({ NODE_EXTRA_CA_CERTS: caPath });
    const ref = `${registry.host}/tls/busybox:v1`;
    const pushed = await pushImage(source, { config: image.config }, ref, { env: {} });
    const dest = await Store.open(await tempDir());
    const pulled = await pullImage(dest, ref, { env: {} });
    expect(pulled.manifest.digest).toBe(pushed.manifest.digest);
    expect((await dest.getLayer(image.chainIds[0]))?.diffId).toBe(image.diffIds[0]);
  });

  it('is trusted through the strata command with NODE_EXTRA_CA_CERTS, and refused without it', async () => {
    const ref = `${registry.host}/tls/busybox:v1`;
    const base = { PATH: process.env.PATH ?? '', HOME: await tempDir() };
    const root = await tempDir();
    const ok = await run(LAUNCHER, ['pull', '--root', root, ref], {
      env: { ...base, NODE_EXTRA_CA_CERTS: caPath },
    });
    expect(ok.stdout).toContain(ref);
    const images = await run(LAUNCHER, ['images', '--root', root], { env: base });
    expect(images.stdout).toContain(`${registry.host}/tls/busybox`);
    const refused = await run(LAUNCHER, ['pull', '--root', await tempDir(), ref], { env: base }).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    expect(refused).toMatch(/TLS certificate is not trusted/);
  });
});
