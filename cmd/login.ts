/**
 * `strata login [-u USER] [-p PASS | --password-stdin] [--insecure-registry HOST]... [REGISTRY]`:
 * checks the credentials against the registry, then stores them where Docker would: through
 * the credential helper the Docker config names (`credHelpers` for the registry, else
 * `credsStore`), else in the config file (`auths`, base64 user:password, mode 0600), where
 * pull and push find them. REGISTRY defaults to Docker Hub.
 */
import { readStreamBounded } from '../core/fs/read-bounded.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { credentialKey, DOCKER_HUB_KEY, storeCredentials } from '../core/registry/credentials.js';
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
/** A password or token is a few KB at most; stdin beyond this is not one. */
const MAX_PASSWORD = 64 * 1024;

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('login', args, OPTIONS);
  if (positionals.length > 1 || values.username === undefined) throw new InvalidInputError(USAGE);
  if ((values.password !== undefined) === (values['password-stdin'] === true)) {
    throw new InvalidInputError(`${USAGE} (give exactly one of -p and --password-stdin)`);
  }
  const password = values.password ?? (await readPassword(io)).replace(/\r?\n$/, '');
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
  const where = await storeCredentials(registry, creds, io.env);
  io.stdout.write(
    `Login Succeeded (credentials stored ${where.helper ? `by ${where.helper}` : `in ${where.path}`})\n`,
  );
  return 0;
}

async function readPassword(io: Io): Promise<string> {
  const stdin = io.stdin ?? process.stdin;
  return (await readStreamBounded(stdin, MAX_PASSWORD, 'password from stdin')).toString('utf8');
}
