/**
 * `--cache-to` / `--cache-from` values, BuildKit's syntax for the two kinds strata has:
 *   type=registry,ref=HOST/REPO:TAG[,mounts=true]
 *   type=local,dest=DIR[,mounts=true]     (export)   type=local,src=DIR   (import)
 * For local, `dest` and `src` are accepted for either direction, so one spec can serve both.
 */
import { InvalidInputError } from '../oci/errors.js';

export type CacheLocation = { type: 'registry'; ref: string } | { type: 'local'; dir: string };

export interface CacheSpec {
  location: CacheLocation;
  /** Also carry RUN --mount=type=cache directories (as tar layers). */
  mounts: boolean;
}

export function parseCacheSpec(spec: string): CacheSpec {
  const fail = (why: string): never => {
    throw new InvalidInputError(`parse cache spec ${JSON.stringify(spec)}: ${why}`);
  };
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) fail(`expected key=value, got ${JSON.stringify(part)}`);
    const k = part.slice(0, eq).trim();
    if (fields.has(k)) fail(`${k} given twice`);
    fields.set(k, part.slice(eq + 1).trim());
  }
  const mountsValue = fields.get('mounts') ?? 'false';
  if (mountsValue !== 'true' && mountsValue !== 'false') fail('mounts must be true or false');
  const mounts = mountsValue === 'true';
  const type = fields.get('type');
  const allowed =
    type === 'registry' ? ['type', 'ref', 'mounts', 'mode'] : ['type', 'dest', 'src', 'mounts', 'mode'];
  for (const k of fields.keys()) if (!allowed.includes(k)) fail(`unknown field ${k} for type=${type}`);
  if (type === 'registry') {
    const ref = fields.get('ref');
    if (!ref) fail('type=registry needs ref=');
    return { location: { type: 'registry', ref: ref! }, mounts };
  }
  if (type === 'local') {
    const dir = fields.get('dest') ?? fields.get('src');
    if (!dir) fail('type=local needs dest= (or src=)');
    return { location: { type: 'local', dir: dir! }, mounts };
  }
  return fail('type must be registry or local');
}
