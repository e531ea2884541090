/**
 * `--build-context NAME=VALUE`, as BuildKit has it: NAME (as written in FROM or COPY --from)
 * is replaced by another image (`docker-image://REF`), an image in an OCI layout directory
 * (`oci-layout://DIR[:TAG|@sha256:...]`) or a local directory (`DIR`, only for COPY --from
 * and RUN --mount from=). This is how an offline stand-in replaces a registry base:
 * `--build-context node:22-alpine=docker-image://strata-node:bookworm`.
 */
import { resolve } from 'node:path';
import { type Digest, isDigest } from '../oci/digest.js';
import { InvalidInputError } from '../oci/errors.js';

export type NamedContext =
  | { kind: 'image'; ref: string }
  | { kind: 'oci-layout'; dir: string; tag?: string; digest?: Digest }
  | { kind: 'dir'; path: string };

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
    else if (value.startsWith('oci-layout://')) out.set(name, ociLayout(name, value, cwd));
    else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      throw new InvalidInputError(
        `--build-context ${name}: ${value.split('://')[0]}:// is not supported (docker-image://, oci-layout:// or a directory)`,
      );
    } else out.set(name, { kind: 'dir', path: resolve(cwd, value) });
  }
  return out;
}

/** `oci-layout://DIR`, `DIR:TAG` or `DIR@sha256:HEX` (a `:` in DIR itself is kept when no tag follows it). */
function ociLayout(name: string, value: string, cwd: string): NamedContext {
  let rest = value.slice('oci-layout://'.length);
  let digest: Digest | undefined;
  let tag: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d))
      throw new InvalidInputError(`--build-context ${name}: ${JSON.stringify(d)} is not a sha256 digest`);
    digest = d;
    rest = rest.slice(0, at);
  } else {
    const m = /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(rest);
    if (m) {
      tag = m[1];
      rest = rest.slice(0, m.index);
    }
  }
  if (rest === '') throw new InvalidInputError(`--build-context ${name}: oci-layout:// needs a directory`);
  return {
    kind: 'oci-layout',
    dir: resolve(cwd, rest),
    ...(tag ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}
