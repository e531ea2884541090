/**
 * `--build-context NAME=VALUE`, as BuildKit has it: NAME (as written in FROM or COPY --from)
 * is replaced by another image (`docker-image://REF`) or a local directory (`DIR`, only for
 * COPY --from and RUN --mount from=). This is how an offline stand-in replaces a registry
 * base: `--build-context node:22-alpine=docker-image://strata-node:bookworm`.
 */
import { resolve } from 'node:path';
import { InvalidInputError } from '../oci/errors.js';

export type NamedContext = { kind: 'image'; ref: string } | { kind: 'dir'; path: string };

export function parseNamedContexts(list: string[], cwd: string): Map<string, NamedContext> {
  const out = new Map<string, NamedContext>();
  for (const item of list) {
    const i = item.indexOf('=');
    if (i <= 0 || i === item.length - 1)
      throw new InvalidInputError(`--build-context ${JSON.stringify(item)}: expected NAME=VALUE`);
    const name = item.slice(0, i);
    const value = item.slice(i + 1);
    if (value.startsWith('docker-image://'))
      out.set(name, { kind: 'image', ref: value.slice('docker-image://'.length) });
    else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      throw new InvalidInputError(
        `--build-context ${name}: ${value.split('://')[0]}:// is not supported (docker-image:// or a directory)`,
      );
    } else out.set(name, { kind: 'dir', path: resolve(cwd, value) });
  }
  return out;
}
