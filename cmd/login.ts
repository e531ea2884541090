/**
 * `strata login [-u USER] [-p PASS | --password-stdin] [--insecure-registry HOST]... [REGISTRY]`:
 * checks the credentials against the registry, then stores them in the Docker config file
 * (`auths`, base64 user:password, mode 0600) where pull and push find them. REGISTRY
 * defaults to Docker Hub.
 */
import { InvalidInputError } from '../core/oci/errors.js';
import { credentialKey, DOCKER_HUB_KEY, writeCredentials } from '../core/registry/credentials.js';
import { RegistryClient } from '../core/registry/registry-client.js';
import { parseFlags } from './common.js';
import type { Io } from './io.js';

const OPTIONS = {
  username: { type: 'string', short: 'u' },
  password: { type: 'string', short: 'p' },
  'password-stdin': { type: 'boolean' },
  'insecure-registry': { type: 'string', multiple: true },
} as const;

const USAGE = 'login: usage: strata login -u USER (-p PASS | --password-stdin) [REGISTRY]';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('login', args, OPTIONS);
  if (positionals.length > 1 || values.username === undefined) throw new InvalidInputError(USAGE);
  if ((values.password !== undefined) === (values['password-stdin'] === true)) {
    throw new InvalidInputError(`${USAGE} (give exactly one of -p and --password-stdin)`);
  }
  const password = values.password ?? (await readStdin(io)).replace(/\r?\n$/, '');
  if (password === '') throw new InvalidInputError('login: empty password');
  const registry = positionals[0] ?? 'docker.io';
  const key = credentialKey(registry);
  const domain = key === DOCKER_HUB_KEY ? 'docker.io' : key;
  const creds = { username: values.username, password };
  const client = await RegistryClient.create(domain, {
    credentials: creds,
    env: io.env,
    insecureRegistries: values['insecure-registry'] ?? [],
  });
  await client.checkLogin();
  const path = await writeCredentials(registry, creds, io.env);
  io.stdout.write(`Login Succeeded (credentials stored in ${path})\n`);
  return 0;
}

async function readStdin(io: Io): Promise<string> {
  const stdin = (io as Io & { stdin?: NodeJS.ReadableStream }).stdin ?? process.stdin;
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
