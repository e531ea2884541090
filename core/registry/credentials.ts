/**
 * Registry credentials from Docker's client config (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`): `auths.<key>.auth` is base64 `user:password`. Docker Hub's key is
 * `https://index.docker.io/v1/` (formats.md 5.6); other registries are keyed by host[:port],
 * sometimes written with a scheme or path, which lookups tolerate. Credential helpers
 * (`credsStore`, `credHelpers`) and identity tokens are not supported.
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../store/atomic-file.js';
import { InvalidInputError } from '../oci/errors.js';

export interface Credentials {
  username: string;
  password: string;
}

export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  return join(env.HOME || homedir(), '.docker', 'config.json');
}

/** `https://localhost:5000/v2/` -> `localhost:5000`; any Docker Hub spelling -> its key. */
export function credentialKey(registry: string): string {
  let host = registry.trim().replace(/^[a-z]+:\/\//i, '');
  host = host.split('/')[0].toLowerCase();
  if (host === '') throw new InvalidInputError(`name registry ${JSON.stringify(registry)}: empty host`);
  return HUB_HOSTS.has(host) ? DOCKER_HUB_KEY : host;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  [k: string]: unknown;
}

async function readConfig(path: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' ? (v as DockerConfigFile) : {};
  } catch (err) {
    throw new InvalidInputError(`read ${path}: not json`, { cause: err });
  }
}

/** Credentials for `registry` (a host or Hub alias), or undefined when none are stored. */
export async function readCredentials(
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials | undefined> {
  const path = dockerConfigPath(env);
  const auths = (await readConfig(path)).auths ?? {};
  const want = credentialKey(registry);
  for (const [key, entry] of Object.entries(auths)) {
    let k: string;
    try {
      k = credentialKey(key);
    } catch {
      continue;
    }
    if (k !== want || entry === null || typeof entry !== 'object') continue;
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = plain.indexOf(':');
      if (colon <= 0)
        throw new InvalidInputError(`read ${path}: auths.${key}.auth is not base64 user:password`);
      return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
    }
    if (typeof entry.username === 'string' && typeof entry.password === 'string') {
      return { username: entry.username, password: entry.password };
    }
  }
  return undefined;
}

/**
 * Stores credentials for `registry` in the Docker config file, keeping every other field,
 * written atomically with mode 0600 (it holds a password).
 */
export async function writeCredentials(
  registry: string,
  creds: Credentials,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const path = dockerConfigPath(env);
  const config = await readConfig(path);
  const key = credentialKey(registry);
  const auths = { ...(config.auths ?? {}) };
  auths[key] = { auth: Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64') };
  config.auths = auths;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(config, null, '\t')}\n`);
  await chmod(path, 0o600);
  return path;
}
