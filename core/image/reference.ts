/**
 * Image references, normalised the way Docker's distribution/reference does it (formats.md
 * 5.6): `busybox` -> `docker.io/library/busybox:latest`. Refs in the store are always kept in
 * the normalised form; the "familiar" form (`busybox:latest`) is what docker save/load use in
 * RepoTags and `repositories`.
 */
import { InvalidInputError } from '../oci/errors.js';

/** A parsed, normalised reference. `tag` is set whenever `digest` is not (defaults to latest). */
export interface ParsedRef {
  /** Registry host, with port if any: `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path below the domain: `library/busybox`, `user/app`. */
  path: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const PATH_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const DOMAIN_RE =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const HEX64_RE = /^[a-f0-9]{64}$/;
const NAME_MAX = 255;

/** Parses any user-written reference into its normalised parts; throws InvalidInputError. */
export function parseRef(input: string): ParsedRef {
  const fail = (why: string): never => {
    throw new InvalidInputError(`parse reference ${JSON.stringify(input)}: ${why}`);
  };
  if (input === '') fail('empty reference');
  if (HEX64_RE.test(input)) fail('cannot use a 64-character hexadecimal string as a name');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) fail(`invalid digest ${JSON.stringify(digest)}`);
  }
  let tag: string | undefined;
  // A tag is after the last ':' that comes after the last '/'; a ':' before it is a port.
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) fail(`invalid tag ${JSON.stringify(tag)}`);
  }
  let domain = 'docker.io';
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    // distribution/reference: the first component is a host only if it looks like one.
    if (
      first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first !== first.toLowerCase()
    ) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (!DOMAIN_RE.test(domain)) fail(`invalid registry host ${JSON.stringify(domain)}`);
  if (path !== path.toLowerCase()) fail('repository name must be lowercase');
  if (!PATH_RE.test(path)) fail(`invalid repository name ${JSON.stringify(path)}`);
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (domain.length + 1 + path.length > NAME_MAX) fail(`repository name longer than ${NAME_MAX} characters`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `busybox` -> `docker.io/library/busybox:latest`; keeps a digest if one is given. */
export function normalizeRef(input: string): string {
  return formatRef(parseRef(input));
}

/** The full repository name without tag or digest: `docker.io/library/busybox`. */
export function repositoryName(ref: ParsedRef): string {
  return `${ref.domain}/${ref.path}`;
}

export function formatRef(ref: ParsedRef): string {
  let s = repositoryName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The short repository name Docker shows: drops `docker.io/` and `library/`. */
export function familiarRepository(ref: ParsedRef): string {
  if (ref.domain !== 'docker.io') return repositoryName(ref);
  return ref.path.startsWith('library/') && ref.path.indexOf('/', 'library/'.length) === -1
    ? ref.path.slice('library/'.length)
    : ref.path;
}

/** The familiar `name:tag` form (`busybox:latest`), as RepoTags and `repositories` want. */
export function familiarRef(input: string): string {
  const ref = parseRef(input);
  let s = familiarRepository(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}
