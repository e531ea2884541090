/**
 * `strata logout [REGISTRY]`: forgets the registry's credentials as `docker logout` does:
 * erased from the credential helper that holds them, and dropped from the Docker config
 * file. REGISTRY defaults to Docker Hub.
 */
import { InvalidInputError } from '../core/oci/errors.js';
import { credentialKey, eraseCredentials } from '../core/registry/credentials.js';
import { parseFlags } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { positionals } = parseFlags('logout', args, {});
  if (positionals.length > 1) throw new InvalidInputError('logout: usage: strata logout [REGISTRY]');
  const registry = positionals[0] ?? 'docker.io';
  const key = credentialKey(registry);
  const r = await eraseCredentials(registry, io.env);
  if (!r.removed) {
    io.stdout.write(`Not logged in to ${key}\n`);
    return 0;
  }
  io.stdout.write(`Removing login credentials for ${key}${r.helper ? ` (from ${r.helper})` : ''}\n`);
  return 0;
}
