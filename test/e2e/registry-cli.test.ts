/**
 * strata login, push and pull as commands (in-process through cmd/main.ts) against Debian's
 * docker-registry with htpasswd auth.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Io } from '../../cmd/io.js';
import { main } from '../../cmd/main.js';
import { Store } from '../../store/index.js';
import { makeBusyboxRootfs } from './helpers/busybox-rootfs.js';
import { type RunningRegistry, startRegistry } from './helpers/registry.js';
import { makeStoreImage } from './helpers/store-image.js';
import { useTempDirs } from './helpers/temp-dirs.js';

const tempDir = useTempDirs();
let registry: RunningRegistry;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  registry = await startRegistry({ auth: { type: 'htpasswd', users: { carol: 'pa55word' } } });
  env = { DOCKER_CONFIG: await tempDir('strata-docker-config-'), HOME: await tempDir() };
});
afterAll(async () => registry?.stop());

async function strata(
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (b: Buffer) => chunks.out.push(b));
  err.on('data', (b: Buffer) => chunks.err.push(b));
  const io: Io & { stdin?: NodeJS.ReadableStream } = { stdout: out, stderr: err, env, cwd: process.cwd() };
  if (stdin !== undefined) io.stdin = Readable.from([Buffer.from(stdin)]);
  const code = await main(args, io);
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

it('logs in, pushes and pulls through the CLI', async () => {
  const bad = await strata(['login', '-u', 'carol', '-p', 'nope', registry.host]);
  expect(bad.code).toBe(9);
  expect(bad.stderr).toMatch(/refused \(401\) with the credentials/);

  const login = await strata(['login', '-u', 'carol', '--password-stdin', registry.host], 'pa55word\n');
  expect(login.stderr).toBe('');
  expect(login.code).toBe(0);
  const config = JSON.parse(await readFile(join(env.DOCKER_CONFIG!, 'config.json'), 'utf8'));
  expect(Buffer.from(config.auths[registry.host].auth, 'base64').toString()).toBe('carol:pa55word');

  const srcRoot = await tempDir();
  const image = await makeStoreImage(await Store.open(srcRoot), [makeBusyboxRootfs], { tag: 'local/bb:1' });
  const push = await strata(['push', '--root', srcRoot, 'local/bb:1', `${registry.host}/cli/bb:1`]);
  expect(push.stderr).toMatch(/Pushed/);
  expect(push.code).toBe(0);
  expect(push.stdout).toMatch(new RegExp(`^${registry.host}/cli/bb:1@sha256:[a-f0-9]{64} size: \\d+\\n$`));

  const dstRoot = await tempDir();
  const pull = await strata(['pull', '--root', dstRoot, `${registry.host}/cli/bb:1`]);
  expect(pull.code).toBe(0);
  expect(pull.stdout).toBe(`${registry.host}/cli/bb:1\n`);
  expect(pull.stderr).toMatch(/Pull complete/);
  const ref = await (await Store.open(dstRoot)).getRef(`${registry.host}/cli/bb:1`);
  expect(ref?.config).toBe(image.config);

  const usage = await strata(['pull']);
  expect(usage.code).toBe(2);
});
