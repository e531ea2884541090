/**
 * Registry credentials as Docker's client keeps them (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`), looked up in Docker's order (docker/cli configfile
 * GetCredentialsStore): a `credHelpers` entry for the registry, else `credsStore`, names a
 * credential helper that holds them (credential-helper.ts); without either, `auths.<key>`
 * holds them: `auth` is base64 `user:password`, `identitytoken` an OAuth2 refresh token.
 * Docker Hub's key is `https://index.docker.io/v1/` (formats.md 5.6); other registries are
 * keyed by host[:port], sometimes written with a scheme or path, which lookups tolerate.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../store/atomic-file.js';
import { readUserFileBounded } from '../fs/read-bounded.js';
import { InvalidInputError } from '../oci/errors.js';
import { type HelperRef, helperErase, helperGet, helperStore } from './credential-helper.js';

export interface Credentials {
  username: string;
  password: string;
  /**
   * An identity token (OAuth2 refresh token) instead of a password: the token server is
   * asked with `grant_type=refresh_token` (authenticator.ts), as Docker does.
   */
  identityToken?: string;
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

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

/** The helper that holds `key`'s credentials, if the config names one (Docker's order). */
function helperFor(config: DockerConfigFile, key: string): HelperRef | undefined {
  const helpers = config.credHelpers;
  if (helpers !== null && typeof helpers === 'object') {
    for (const [k, name] of Object.entries(helpers)) {
      let hk: string;
      try {
        hk = credentialKey(k);
      } catch {
        continue;
      }
      if (hk === key && typeof name === 'string' && name !== '')
        return { name, from: `credHelpers[${JSON.stringify(k)}]` };
    }
  }
  if (typeof config.credsStore === 'string' && config.credsStore !== '')
    return { name: config.credsStore, from: 'credsStore' };
  return undefined;
}

/** The `auths` entries whose key names the same registry as `key`. */
function authKeysFor(config: DockerConfigFile, key: string): string[] {
  return Object.keys(config.auths ?? {}).filter((k) => {
    try {
      return credentialKey(k) === key;
    } catch {
      return false;
    }
  });
}

/** Docker's config holds a few auths and helper names; 4 MiB is far past any real one. */
const MAX_DOCKER_CONFIG = 4 << 20;

async function readConfig(path: string): Promise<DockerConfigFile> {
  const bytes = await readUserFileBounded(path, MAX_DOCKER_CONFIG);
  if (bytes === undefined) return {};
  const text = bytes.toString('utf8');
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
  const config = await readConfig(path);
  const want = credentialKey(registry);
  const helper = helperFor(config, want);
  if (helper !== undefined) return helperGet(helper, want, env);
  const auths = config.auths ?? {};
  for (const key of authKeysFor(config, want)) {
    const entry = auths[key];
    if (entry === null || typeof entry !== 'object') continue;
    if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '')
      return { username: '', password: '', identityToken: entry.identitytoken };
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

/** Where `writeCredentials` put them: the config file, and the helper when one holds them. */
export interface StoredWhere {
  path: string;
  helper?: string;
}

/**
 * Stores credentials for `registry` as Docker's login does: through the credential helper
 * the config names for it (the file then keeps only an empty `auths` entry, so no secret is
 * written to disk by strata), else in the config file as base64 `user:password`. Every other
 * field is kept; the file is written atomically with mode 0600.
 */
export async function writeCredentials(
  registry: string,
  creds: Credentials,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return (await storeCredentials(registry, creds, env)).path;
}

export async function storeCredentials(
  registry: string,
  creds: Credentials,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StoredWhere> {
  const path = dockerConfigPath(env);
  const config = await readConfig(path);
  const key = credentialKey(registry);
  const helper = helperFor(config, key);
  const auths = { ...(config.auths ?? {}) };
  for (const k of authKeysFor(config, key)) delete auths[k];
  if (helper !== undefined) {
    await helperStore(helper, key, creds, env);
    auths[key] = {};
  } else if (creds.identityToken !== undefined) auths[key] = { identitytoken: creds.identityToken };
  else auths[key] = { auth: Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64') };
  config.auths = auths;
  await writeConfig(path, config);
  return { path, ...(helper ? { helper: `docker-credential-${helper.name}` } : {}) };
}

/**
 * Forgets `registry`'s credentials as `docker logout` does: erased from its helper when one
 * holds them, and its `auths` entries dropped from the file. Returns false when nothing was
 * stored for it.
 */
export async function eraseCredentials(
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ path: string; removed: boolean; helper?: string }> {
  const path = dockerConfigPath(env);
  const config = await readConfig(path);
  const key = credentialKey(registry);
  const helper = helperFor(config, key);
  const keys = authKeysFor(config, key);
  let removed = keys.length > 0;
  if (helper !== undefined) {
    removed = removed || (await helperGet(helper, key, env)) !== undefined;
    if (removed) await helperErase(helper, key, env);
  }
  if (keys.length > 0) {
    const auths = { ...(config.auths ?? {}) };
    for (const k of keys) delete auths[k];
    config.auths = auths;
    await writeConfig(path, config);
  }
  return { path, removed, ...(helper ? { helper: `docker-credential-${helper.name}` } : {}) };
}

async function writeConfig(path: string, config: DockerConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(config, null, '\t')}\n`);
  await chmod(path, 0o600);
}
